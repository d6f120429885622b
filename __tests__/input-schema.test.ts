/**
 * The input schema (src/inputs/schema.ts) is the one declaration of every input: action.yml and docs/inputs.md are
 * generated from it and must be current, one parse reads every input by it, every boolean follows getBooleanInput's
 * rule, and one error names every problem of every group.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { ValidationErrors } from '../src/errors.js'
import { readInputs } from '../src/inputs/read-inputs.js'
import { Collector } from '../src/inputs/collector.js'
import { GROUPS, INPUTS } from '../src/inputs/schema.js'
import { renderActionYml, renderInputsDoc } from '../test-support/input-docs.js'
import { captureStdout, inputReader } from '../test-support/input-reader.js'
import { repoRoot } from '../test-support/paths.js'

const actionText = fs.readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')
const base = {
  'vault-addr': 'https://vault.example.com:8200',
  'vault-token': 'hvs.schema-test-token',
  'nomad-addr': 'https://nomad.example.com:4646',
  'nomad-token': 'nomad-schema-test-token',
  'github-token': 'ghs_schema-test-token'
}
const reader = inputReader(base)
const stdout = captureStdout()

/** The problems of one parse; [] when the inputs are valid. */
function problems(over: Record<string, string>): string[] {
  try {
    readInputs(reader(over))
    return []
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationErrors)
    return (e as ValidationErrors).problems
  }
}

describe('generated files', () => {
  it('action.yml declares exactly the schema: names in order, descriptions, defaults, required', () => {
    const inputs = parse(actionText).inputs as Record<string, { description: string; default?: string; required: boolean }>
    const byGroup = GROUPS.flatMap((g) => INPUTS.filter((i) => i.group === g.id))
    expect(Object.keys(inputs)).toEqual(byGroup.map((i) => i.name))
    for (const i of INPUTS) {
      expect(inputs[i.name]).toEqual({
        description: i.description,
        required: i.required === true,
        ...(i.default !== undefined ? { default: i.default } : {})
      })
    }
  })

  it('action.yml has the groups in order, each under its comment header, and is current (npm run inputs)', () => {
    const headers = [...actionText.matchAll(/^ {2}# --- (\d+)\. (.+) ---$/gm)].map((m) => `${m[1]} ${m[2]}`)
    expect(headers).toEqual(GROUPS.map((g, n) => `${n + 1} ${g.title}`))
    expect(GROUPS.map((g) => g.title)).toEqual([
      'Vault connection',
      'Nomad connection',
      'Signing in',
      'Vault setup',
      'Job',
      'Deploy behaviour',
      'Modes and checks',
      'GitHub features',
      'Transport'
    ])
    expect(actionText).toBe(renderActionYml(actionText))
  })

  it('docs/inputs.md is current (npm run inputs) and has a row for every input under its group', () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'docs/inputs.md'), 'utf8')
    expect(doc).toBe(renderInputsDoc())
    for (const [n, g] of GROUPS.entries()) {
      const section = doc.split(`## ${n + 1}. ${g.title}\n`)[1].split('\n## ')[0]
      for (const i of INPUTS.filter((x) => x.group === g.id)) expect(section).toContain(`| \`${i.name}\` |`)
    }
  })

  it('a change to the schema makes the committed files stale', () => {
    const changed = actionText.replace('Vault or OpenBao API address', 'Vault API address')
    expect(renderActionYml(changed)).not.toBe(changed)
  })
})

describe('one schema, one parse', () => {
  it('declares every input once, in a known group, with a description', () => {
    const names = INPUTS.map((i) => i.name)
    expect(new Set(names).size).toBe(names.length)
    for (const i of INPUTS) {
      expect(GROUPS.map((g) => g.id)).toContain(i.group)
      expect(i.description.length).toBeGreaterThan(10)
    }
    for (const g of GROUPS) expect(INPUTS.some((i) => i.group === g.id)).toBe(true)
  })

  it('one parse reads every input of the schema, and every default passes its own rule', () => {
    const { seen } = readInputs(reader())
    expect([...seen].sort()).toEqual(INPUTS.map((i) => i.name).sort())
  })

  it('reading an input that is not in the schema, or as another type, is a bug of the action', () => {
    const c = new Collector(reader())
    expect(() => c.raw('vault-adress')).toThrow('Bug: input "vault-adress" is read but not declared in src/inputs/schema.ts.')
    expect(() => c.bool('vault-addr')).toThrow('Bug: input "vault-addr" is a url in the schema but is read as a boolean.')
  })

  it('names every problem of five groups in one error, before any request', () => {
    // vault-addr (Vault connection), vault-auth-method (Signing in), max-parallel (Deploy behaviour), mode (Modes
    // and checks), pr-comment (GitHub features): one ValidationErrors, thrown by the one parse.
    let err: unknown
    try {
      readInputs(
        reader({ 'vault-addr': 'vault.example.com', 'vault-auth-method': 'oidc', 'max-parallel': '0', mode: 'upgrade', 'pr-comment': 'yes' })
      )
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ValidationErrors)
    const { problems: found, message } = err as ValidationErrors
    expect(found).toEqual([
      'Input "vault-auth-method" must be one of "token", "jwt", got "oidc".',
      expect.stringMatching(/^Input "vault-addr" (is not a valid URL|must be an http)/),
      'Input "max-parallel" must be a whole number from 1 to 64, got "0".',
      'Input "mode" must be one of "deploy", "setup", "check", "destroy", got "upgrade".',
      'Input "pr-comment" must be true or false (spelled true, True, TRUE, false, False, FALSE), got "yes".'
    ])
    expect(message).toMatch(/^5 input problems:\n- /)
  })
})

const BOOLEANS = INPUTS.filter((i) => i.type.kind === 'boolean')

describe('booleans: the spellings of core.getBooleanInput, for every boolean input', () => {
  it('covers the eleven boolean inputs that accepted "yes" before, and the two that did not', () => {
    expect(BOOLEANS.map((i) => i.name).sort()).toEqual(
      [
        'allow-outside-workspace',
        'auto-promote',
        'dry-run',
        'fail-on-drift',
        'fail-on-warning',
        'force',
        'meta',
        'nomad-skip-verify',
        'policy-override',
        'pr-comment',
        'preserve-counts',
        'prune',
        'vault-skip-verify'
      ].sort()
    )
  })

  /** The mode in which a boolean applies (force: destroy, fail-on-warning: check and destroy). */
  const modeFor = (name: string) => INPUTS.find((i) => i.name === name)?.modes?.[0] ?? 'deploy'

  it.each(BOOLEANS.map((i) => i.name))('%s takes true, True, TRUE, false, False, FALSE and refuses yes, 1, on', (name) => {
    for (const [spelling, value] of [
      ['true', true],
      ['True', true],
      ['TRUE', true],
      ['false', false],
      ['False', false],
      ['FALSE', false]
    ] as const) {
      expect(problems({ mode: modeFor(name), [name]: spelling })).toEqual([])
      expect(new Collector(reader({ [name]: spelling })).bool(name)).toBe(value)
    }
    for (const bad of ['yes', '1', 'on', 'tRUE']) {
      expect(problems({ mode: modeFor(name), [name]: bad })).toEqual([
        `Input "${name}" must be true or false (spelled true, True, TRUE, false, False, FALSE), got "${bad}".`
      ])
    }
    // Empty: the schema's default.
    const dflt = INPUTS.find((i) => i.name === name)?.default
    expect(new Collector(reader()).bool(name)).toBe(dflt === 'true')
  })
})

describe('one rule per concept', () => {
  it("a Nomad namespace follows Nomad's validNamespaceName wherever it appears: nomad-namespace, probe-namespace, roles", () => {
    const rule = 'is not a valid Nomad namespace name: "a_b". Nomad accepts 1 to 128 letters, digits and "-" (e.g. default, prod-eu).'
    expect(problems({ 'nomad-namespace': 'a_b' })).toEqual([`Input "nomad-namespace" ${rule}`])
    expect(problems({ mode: 'check', 'probe-namespace': 'a_b' })).toEqual([`Input "probe-namespace" ${rule}`])
    expect(problems({ roles: '- name: web\n  namespace: a_b' })).toEqual([expect.stringContaining(`role "web": "namespace" must be`)])
    expect(problems({ roles: '- name: web\n  namespace: a_b' })[0]).toContain(rule)
    for (const ok of ['prod-eu', 'A1', 'x'.repeat(128)]) {
      expect(problems({ 'nomad-namespace': ok, mode: 'check', 'probe-namespace': ok, roles: `- name: web\n  namespace: ${ok}` })).toEqual([])
    }
    expect(problems({ 'nomad-namespace': 'x'.repeat(129) })).toHaveLength(1)
  })

  it('token-type takes the same values as an input and in roles', () => {
    expect(problems({ 'token-type': 'default-batch', 'token-period': '0' })).toEqual([])
    expect(problems({ roles: '- name: web\n  token-type: default-batch\n  token-period: 0' })).toEqual([])
    expect(problems({ 'token-type': 'periodic' })[0]).toContain('must be one of "service", "batch", "default", "default-service", "default-batch"')
    expect(problems({ roles: '- name: web\n  token-type: periodic' })[0]).toContain('"token-type" must be one of service, batch, default')
  })

  it('an input given in a mode it does not apply to is an error, or a warning that it is ignored (the schema modes)', () => {
    readInputs(reader({ 'fail-on-warning': 'true' }))
    expect(stdout.text()).toContain('::warning::Input "fail-on-warning" only applies to mode: check, destroy (mode is deploy); it is ignored.')
    expect(problems({ force: 'true' })).toEqual(['Input "force" only applies to mode: destroy (mode is deploy).'])
    expect(problems({ 'probe-secret': 'secret/data/x' })).toEqual(['Input "probe-secret" only applies to mode: check (mode is deploy).'])
  })
})
