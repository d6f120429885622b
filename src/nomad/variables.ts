/**
 * HCL2 job variables: build the text sent as `Variables` to Nomad's parse API from the `var-files` and
 * `variables` inputs, remembering for every line which file (or input line) it came from.
 */
import * as core from '@actions/core'
import * as path from 'node:path'
import type { JobSettings } from '../config.js'
import { ActionError } from '../errors.js'
import { readUserFile } from '../files.js'
import { HCL_IDENT, hclString, hclValue, lineOfJsonKey, topLevelAttributes, type DeclaredVariable } from './hcl.js'
import { closest } from './spelling.js'

/** The origin of the `variables` input's lines in VariablesText.origins. */
export const VARIABLES_INPUT = 'variables input'

export interface VariablesText {
  /** What is sent as `Variables` to /v1/jobs/parse: var-files, then the `variables` input (which wins). */
  text: string
  /** The var-files part only (Submission.Variables); the `variables` input goes to VariableFlags. */
  fileText: string
  /** For each line of `text` (0-based), where it came from: a var-file and its line, or VARIABLES_INPUT. */
  origins: VariableOrigin[]
  /** The variables sent (the last definition of each name), where each was set. Empty for unscannable var-files. */
  assigned: VariableOrigin[]
}

export interface VariableOrigin {
  /** A var-file path, or VARIABLES_INPUT. */
  file: string
  /** 1-based line in that file (for VARIABLES_INPUT: the position among the input's variables). */
  line: number
  /** The variable set on that line, when known. */
  name?: string
  /** True when the text sent is not the file's own text (JSON var-files are rendered as HCL): no column then. */
  rendered?: boolean
}

/**
 * Render the `variables` input as HCL var-file lines. Values are HCL strings (Nomad converts "3" or "true"
 * to number/bool variables); a value that starts with `[` or `{` and is valid JSON becomes an HCL list/map,
 * so that list and map variables can be set too.
 */
export function renderVariables(vars: Record<string, string>): string {
  const lines: string[] = []
  for (const [k, v] of Object.entries(vars)) {
    if (!HCL_IDENT.test(k)) {
      throw new ActionError(
        `The \`variables\` input has an invalid variable name "${k}": names start with a letter or "_" and contain letters, digits, "_" or "-"`
      )
    }
    lines.push(`${k} = ${renderVariableValue(v)}`)
  }
  return lines.join('\n')
}

function renderVariableValue(v: string): string {
  const t = v.trim()
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
    try {
      return hclValue(JSON.parse(t))
    } catch {
      /* a plain string */
    }
  }
  return hclString(v)
}

interface Attr {
  name: string
  text: string
  file: string
  line: number
  rendered?: boolean
}

/**
 * Build the var-file text: var-files in order, then the `variables` input. A variable defined more than once
 * keeps its last definition (like the CLI: later -var-file wins, -var wins over files), because HCL rejects
 * a redefined attribute in one file.
 */
export async function buildVariables(settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>): Promise<VariablesText> {
  const attrs = new Map<string, Attr>()
  const rawParts: { file: string; text: string }[] = []
  let scannable = true
  for (const file of settings.varFiles) {
    let text: string
    try {
      text = readUserFile(file, 'var-files', settings.fileAccess)
    } catch (err) {
      throw new ActionError(`The \`var-files\` input entry "${file}" cannot be read: ${(err as Error).message}`, { cause: err })
    }
    let fileAttrs: Attr[] | undefined
    if (/\.json$/i.test(file) || /^\s*\{/.test(text)) {
      let obj: unknown
      try {
        obj = JSON.parse(text)
      } catch (err) {
        throw new ActionError(`The var-file "${file}" (input \`var-files\`) is not valid JSON: ${(err as Error).message}`, { cause: err })
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new ActionError(`The var-file "${file}" (input \`var-files\`) must be a JSON object of variable names to values`)
      }
      const json = text
      fileAttrs = Object.entries(obj as Record<string, unknown>).map(([name, v]) => ({
        name,
        text: `${name} = ${hclValue(v)}`,
        file,
        line: lineOfJsonKey(json, name),
        rendered: true
      }))
      text = fileAttrs.map((a) => a.text).join('\n')
    } else {
      fileAttrs = topLevelAttributes(text)?.map((a) => ({ ...a, file }))
    }
    rawParts.push({ file, text })
    if (!fileAttrs) scannable = false
    else for (const a of fileAttrs) attrs.set(a.name, a)
  }

  const origins: VariableOrigin[] = []
  const assigned: VariableOrigin[] = []
  const pieces: string[] = []
  const push = (text: string, origin: VariableOrigin) => {
    pieces.push(text)
    if (origin.name) assigned.push(origin)
    text.split('\n').forEach((_, i) => origins.push({ ...origin, line: origin.rendered ? origin.line : origin.line + i }))
  }
  if (scannable) {
    for (const a of attrs.values())
      if (!(a.name in settings.variables)) push(a.text, { file: a.file, line: a.line, name: a.name, ...(a.rendered ? { rendered: true } : {}) })
  } else {
    // A var-file this scanner does not understand: pass the files through unchanged and let Nomad judge them.
    for (const p of rawParts) push(p.text.replace(/\s+$/, ''), { file: p.file, line: 1 })
  }
  const fileText = pieces.join('\n')
  const rendered = renderVariables(settings.variables) // one line per variable, names checked
  if (rendered)
    rendered.split('\n').forEach((l, i) => push(l, { file: VARIABLES_INPUT, line: i + 1, name: Object.keys(settings.variables)[i], rendered: true }))
  const text = pieces.join('\n')
  return { text: text ? `${text}\n` : '', fileText: fileText ? `${fileText}\n` : '', origins, assigned }
}

/** A job's declared variables, for checkVariableNames (undefined: the file could not be scanned). */
export interface JobDeclarations {
  file: string
  format: 'hcl2' | 'json'
  declared?: DeclaredVariable[]
}

/**
 * Nomad's parse API is not strict (command/agent/job_endpoint.go sets no Strict in jobspec2.ParseConfig), so a
 * variable the job does not declare is dropped silently and the job deploys with its default. Fail instead, before
 * anything is written, on the var-file line or the `variables` entry that sets it. With several job files a name is
 * wrong only when no HCL job declares it.
 */
export function checkVariableNames(vars: VariablesText, jobs: JobDeclarations[]): void {
  const hcl = jobs.filter((j) => j.format === 'hcl2')
  if (!hcl.length || hcl.some((j) => !j.declared)) return
  const declared = new Set(hcl.flatMap((j) => j.declared!.map((d) => d.name)))
  const problems: { message: string; annotation?: ActionError['annotation'] }[] = []
  for (const a of vars.assigned) {
    if (!a.name || declared.has(a.name)) continue
    const name = a.name
    const where =
      a.file === VARIABLES_INPUT
        ? `The \`variables\` input sets "${name}"`
        : `The var-file ${a.file} (input \`var-files\`) sets "${name}" on line ${a.line}`
    const jobsText =
      hcl.length === 1
        ? `job file ${hcl[0].file} declares no variable "${name}"`
        : `none of the job files (${hcl.map((j) => j.file).join(', ')}) declares a variable "${name}"`
    const guess = closest(name, declared)
    problems.push({
      message:
        `${where}, but ${jobsText}${guess ? ` (did you mean "${guess}"?)` : ''}. Nomad ignores undeclared variables silently, so the job ` +
        `would deploy with its defaults. Fix the name, or declare it in the job: variable "${name}" {}.`,
      annotation: a.file === VARIABLES_INPUT ? locateInputLine(name) : { file: a.file, startLine: a.line }
    })
  }
  if (!problems.length) return
  if (problems.length === 1) throw new ActionError(problems[0].message, { annotation: problems[0].annotation })
  for (const p of problems) core.error(p.message, p.annotation)
  throw new ActionError(`${problems.length} variables are not declared by the job (see the errors above); nothing was changed.`)
}

/**
 * Where the `variables` input sets `name` in the running workflow file (GITHUB_WORKFLOW_REF names it, relative to
 * the repository root), for an annotation on that line; undefined when the file is not checked out.
 */
export function locateInputLine(name: string): ActionError['annotation'] {
  const ref = process.env.GITHUB_WORKFLOW_REF ?? ''
  const file = ref.replace(/@.*$/, '').split('/').slice(2).join('/')
  if (!file) return undefined
  const abs = path.join(process.env.GITHUB_WORKSPACE || process.cwd(), file)
  let text: string
  try {
    text = readUserFile(abs, 'variables', undefined, { limit: 1024 * 1024 }) // the workflow file: never a blocking read
  } catch {
    return undefined
  }
  const re = new RegExp(`^\\s*(?:variables:\\s*\\|?\\s*)?${name}\\s*=`)
  const i = text.split('\n').findIndex((l) => re.test(l))
  return i === -1 ? { file } : { file, startLine: i + 1 }
}
