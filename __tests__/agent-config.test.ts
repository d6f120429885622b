import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from '@cdktf/hcl2json'
import { testConfig } from '../test-support/config-fixture.js'
import { renderClientBlock, renderServerBlock } from '../src/nomad/agent-config.js'
import { hclString } from '../src/nomad/hcl.js'

const golden = (name: string) => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden', name), 'utf8')

const config = testConfig

/** A `vault` block as hcl2json gives it: attributes, and nested blocks as lists. */
interface VaultBlock {
  [attribute: string]: unknown
  default_identity: { aud: string[]; ttl: string }[]
}

async function hcl(text: string): Promise<{ vault: VaultBlock[] }> {
  return (await parse('agent.hcl', text)) as { vault: VaultBlock[] }
}

describe('agent vault blocks', () => {
  it('renders the default server and client blocks', async () => {
    const cfg = config()
    expect(renderServerBlock(cfg)).toBe(golden('agent-server-default.hcl'))
    expect(renderClientBlock(cfg)).toBe(golden('agent-client-default.hcl'))
    const server = (await hcl(renderServerBlock(cfg))).vault[0]
    expect(server.enabled).toBe(true)
    expect(server.default_identity[0]).toEqual({ aud: ['vault.io'], ttl: '1h' })
    const client = (await hcl(renderClientBlock(cfg))).vault[0]
    expect(client).toEqual({
      enabled: true,
      address: 'https://vault.example.com:8200',
      jwt_auth_backend_path: 'jwt-nomad',
      create_from_role: 'nomad-workloads'
    })
  })

  it('uses the custom auth path, role, audience and identity ttl', async () => {
    const cfg = config({
      vault: { addr: 'https://bao.internal:8200/' },
      settings: { authPath: 'nomad/prod', role: 'web-apps', audience: 'bao.internal', identityTtl: '30m' }
    })
    expect(renderServerBlock(cfg)).toBe(golden('agent-server-custom.hcl'))
    expect(renderClientBlock(cfg)).toBe(golden('agent-client-custom.hcl'))
  })

  it('adds the namespace and a ca_file hint, and never the token', async () => {
    const cfg = config({ vault: { namespace: 'platform/team-a', caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' } })
    const text = renderClientBlock(cfg)
    expect(text).toBe(golden('agent-client-namespace.hcl'))
    expect((await hcl(text)).vault[0].namespace).toBe('platform/team-a')
    expect(text + renderServerBlock(cfg)).not.toContain('hvs.secret-token')
    expect(text).not.toContain('MIIB')
    expect(renderClientBlock(config())).not.toContain('namespace')
  })

  it('escapes strings for HCL', async () => {
    expect(hclString('a"b\\c\n${x}%{y}')).toBe('"a\\"b\\\\c\\n$${x}%%{y}"')
    const nasty = 'aud"} evil = true # ${var.x}\n'
    const cfg = config({ settings: { audience: nasty, role: 'r"ole' } })
    const server = (await hcl(renderServerBlock(cfg))).vault[0]
    // hcl2json returns template source: $${ is the escaped (literal) ${, so the string stays a plain literal
    expect(server.default_identity[0].aud).toEqual([nasty.replace('${', () => '$${')])
    expect(Object.keys(server).sort()).toEqual(['default_identity', 'enabled'])
    const client = (await hcl(renderClientBlock(cfg))).vault[0]
    expect(client.create_from_role).toBe('r"ole')
    expect(client.evil).toBeUndefined()
  })
})
