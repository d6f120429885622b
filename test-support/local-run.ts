/**
 * `npm run local`: the action's main job on this machine. Starts a real OpenBao and the Nomad test double on
 * 127.0.0.1, seeds a secret, runs the bundled dist/index.js on examples/web.nomad.hcl exactly as a runner would,
 * then prints the outputs and the job summary. Everything is stopped at the end.
 */
import { startNomadDouble } from './nomad-double/server.js'
import { startOpenBao } from './openbao.js'
import { runAction } from './run-action.js'

const bao = await startOpenBao()
const nomad = await startNomadDouble({
  vaultAddr: bao.addr,
  acl: { enabled: true },
  server: { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } },
  client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
})
let code = 1
try {
  console.log(`OpenBao ${bao.addr}  Nomad test double ${nomad.url}`)
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'local-demo-password' } })

  const run = await runAction({
    'vault-addr': bao.addr,
    'vault-token': bao.rootToken,
    'nomad-addr': nomad.url,
    'nomad-token': nomad.managementToken,
    job: 'examples/web.nomad.hcl',
    variables: 'image_tag=2.0.0',
    timeout: '2m'
  })
  code = run.code
  console.log('\n===== action log =====\n' + run.stdout + run.stderr)
  console.log('===== outputs =====')
  for (const [k, v] of Object.entries(run.outputs)) console.log(`${k}: ${v.length > 400 ? v.slice(0, 400) + '…' : v}`)
  console.log('\n===== job summary =====\n' + run.summary)
  const reads = nomad.secretReads.map((r) => `${r.jobId}/${r.task} read ${r.path}`)
  console.log(`===== the task's Vault reads (through its workload identity) =====\n${reads.join('\n') || '(none)'}`)
  console.log(`\naction exit code: ${run.code}`)
} finally {
  await nomad.close()
  await bao.stop()
}
process.exit(code)
