/**
 * Renders the files generated from the input schema (src/inputs/schema.ts): the `inputs:` section of action.yml
 * (grouped, each group under a comment header) and docs/inputs.md (one table per group). `npm run inputs`
 * (scripts/inputs.mjs) writes them; __tests__/input-schema.test.ts checks that the committed files equal these.
 */
import { GROUPS, INPUTS, type InputSpec, type InputType } from '../src/inputs/schema.js'
import { FALSE_SPELLINGS, short, TRUE_SPELLINGS } from '../src/inputs/collector.js'

/** A YAML scalar: plain when that is unambiguous, else a double-quoted (JSON) string. */
function yamlScalar(text: string): string {
  const plain = /^[A-Za-z0-9(<"]/.test(text) && !/: |\s#|^"|[{}[\]]|:$/.test(text) && !/^(true|false|yes|no|null|~|[\d.]+)$/i.test(text)
  return plain ? text : JSON.stringify(text)
}

function actionEntry(i: InputSpec): string {
  const lines = [`  ${i.name}:`, `    description: ${yamlScalar(i.description)}`, `    required: ${i.required === true}`]
  if (i.default !== undefined) lines.push(`    default: '${i.default.replace(/'/g, "''")}'`)
  return lines.join('\n')
}

/** action.yml with its `inputs:` section (up to `outputs:`) generated from the schema; the rest is kept. */
export function renderActionYml(current: string): string {
  const start = current.indexOf('\ninputs:\n')
  const end = current.indexOf('\noutputs:\n')
  if (start < 0 || end < start) throw new Error('action.yml: no "inputs:" section before "outputs:"')
  const header = '  # Generated from src/inputs/schema.ts by `npm run inputs` (docs/inputs.md too); edit the schema, not this list.'
  const groups = GROUPS.map((g, n) => {
    const entries = INPUTS.filter((i) => i.group === g.id).map(actionEntry)
    return [`  # --- ${n + 1}. ${g.title} ---`, `  # ${g.about}`, ...entries].join('\n')
  })
  return `${current.slice(0, start)}\ninputs:\n${header}\n\n${groups.join('\n\n')}\n${current.slice(end)}`
}

/** What an input takes, for the docs table. */
export function accepts(t: InputType): string {
  switch (t.kind) {
    case 'boolean':
      return 'boolean'
    case 'integer':
      return `whole number, ${t.min} to ${t.max}`
    case 'duration':
      return t.min !== undefined || t.max !== undefined
        ? `duration, ${short(t.min ?? 0)} to ${t.max === undefined ? 'any' : short(t.max)}`
        : t.zero
          ? 'duration, or 0'
          : 'duration'
    case 'url':
      return 'http(s) URL'
    case 'pem':
      return t.key ? 'PEM private key, or a path (masked)' : 'PEM certificate, or a path'
    case 'enum':
      return t.values.map((v) => `\`${v}\``).join(', ')
    case 'name':
      return NAME_TEXT[t.rule]
    case 'mount':
      return 'Vault mount path'
    case 'lines':
      return 'lines'
    case 'yaml':
      return 'YAML or JSON'
    case 'secret':
      return 'token (masked)'
    case 'file':
      return 'path on the runner'
    case 'text':
      return t.maxLength ? `text, up to ${t.maxLength} characters` : 'text'
  }
}

const NAME_TEXT: Record<Extract<InputType, { kind: 'name' }>['rule'], string> = {
  'vault-role': 'Vault role name, lower case',
  'vault-login-role': 'Vault role name',
  'vault-policy': 'Vault policy name, lower case',
  'vault-namespace': 'Vault namespace path',
  'nomad-namespace': 'Nomad namespace name',
  'nomad-region': 'Nomad region',
  'acl-name': 'Nomad auth method name',
  audience: 'audience (no spaces)',
  dns: 'DNS host name',
  'vault-path': 'Vault path'
}

/** A Markdown table cell: no pipes or HTML. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function docRow(i: InputSpec): string {
  const dflt = i.required ? '**required**' : i.default !== undefined && i.default !== '' ? `\`${i.default}\`` : ''
  const modes = i.modes ? `; mode ${i.modes.join(', ')}` : ''
  return `| \`${i.name}\` | ${dflt} | ${cell(accepts(i.type))}${modes} | ${cell(i.description)} |`
}

/** docs/inputs.md. */
export function renderInputsDoc(): string {
  const intro = [
    '# Inputs',
    '',
    '<!-- Generated from src/inputs/schema.ts by `npm run inputs`; edit the schema, not this file (a test checks it is current). -->',
    '',
    `Every input of the action, in the groups of action.yml. A boolean takes exactly ${[...TRUE_SPELLINGS, ...FALSE_SPELLINGS].join(', ')}`,
    "(the spellings of the toolkit's `core.getBooleanInput`); anything else, `yes` included, stops the run with an error that names",
    'the input. Every problem of every input is reported at once, before the first request to Vault or Nomad. An input marked',
    'with a mode applies to that mode only.',
    '',
    GROUPS.map((g, n) => `${n + 1}. [${g.title}](#${n + 1}-${anchor(g.title)})`).join('\n')
  ]
  const sections = GROUPS.map((g, n) => {
    const rows = INPUTS.filter((i) => i.group === g.id).map(docRow)
    return [`## ${n + 1}. ${g.title}`, '', g.about, '', '| Input | Default | Accepts | Description |', '| --- | --- | --- | --- |', ...rows].join(
      '\n'
    )
  })
  return `${[...intro, '', ...sections.flatMap((s) => [s, ''])].join('\n').trimEnd()}\n`
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to "-". */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-')
}
