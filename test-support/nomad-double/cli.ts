/**
 * Standalone Nomad test double. Build with `npx tsc -p tsconfig.support.json`, then:
 *   node .build/test-support/nomad-double/cli.js --vault-addr http://127.0.0.1:8200 [--port 4646] [--region global]
 *     [--datacenter dc1] [--acl] [--management-token T] [--jwt-auth-backend-path jwt-nomad] [--create-from-role R]
 *     [--default-identity-aud vault.io] [--default-identity-ttl 1h] [--no-default-identity] [--no-server-vault]
 *     [--oidc-issuer URL] [--alloc-start-ms 50] [--healthy-after-ms 100] [--node-cpu 4000] [--node-memory 8192]
 *     [--nomad-version 1.10.5] [--time-scale 0.01] [--request-log FILE]
 * Prints one JSON line {"url","managementToken","jwksUrl"} on stdout; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util'
import { startNomadDouble } from './server.js'

const { values } = parseArgs({
  options: {
    'vault-addr': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    region: { type: 'string' },
    datacenter: { type: 'string' },
    acl: { type: 'boolean' },
    'management-token': { type: 'string' },
    'jwt-auth-backend-path': { type: 'string' },
    'create-from-role': { type: 'string' },
    'default-identity-aud': { type: 'string', multiple: true },
    'default-identity-ttl': { type: 'string' },
    'no-default-identity': { type: 'boolean' },
    'no-server-vault': { type: 'boolean' },
    'no-client-vault': { type: 'boolean' },
    'oidc-issuer': { type: 'string' },
    'alloc-start-ms': { type: 'string' },
    'healthy-after-ms': { type: 'string' },
    'node-cpu': { type: 'string' },
    'node-memory': { type: 'string' },
    'nomad-version': { type: 'string' },
    'time-scale': { type: 'string' },
    'request-log': { type: 'string' }
  },
  strict: true
})

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v))

const double = await startNomadDouble({
  vaultAddr: values['vault-addr'],
  port: num(values.port),
  host: values.host,
  region: values.region,
  datacenter: values.datacenter,
  acl: values.acl ? { enabled: true, managementToken: values['management-token'] } : undefined,
  server: {
    enabled: !values['no-server-vault'],
    default_identity: values['no-default-identity']
      ? undefined
      : { aud: values['default-identity-aud'] ?? ['vault.io'], ttl: values['default-identity-ttl'] ?? '1h' }
  },
  client: {
    enabled: !values['no-client-vault'],
    address: values['vault-addr'],
    jwt_auth_backend_path: values['jwt-auth-backend-path'],
    create_from_role: values['create-from-role']
  },
  oidcIssuer: values['oidc-issuer'],
  allocStartMs: num(values['alloc-start-ms']),
  healthyAfterMs: num(values['healthy-after-ms']),
  nomadVersion: values['nomad-version'],
  timeScale: num(values['time-scale']),
  requestLog: values['request-log'],
  nodes:
    values['node-cpu'] || values['node-memory'] ? [{ cpu: num(values['node-cpu']) ?? 4000, memoryMB: num(values['node-memory']) ?? 8192 }] : undefined
})

process.stdout.write(
  JSON.stringify({ url: double.url, managementToken: double.managementToken, jwksUrl: `${double.url}/.well-known/jwks.json` }) + '\n'
)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  double.close().then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
