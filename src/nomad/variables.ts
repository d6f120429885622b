/**
 * HCL2 job variables: build the text sent as `Variables` to Nomad's parse API from the `var-files` and
 * `variables` inputs, remembering for every line which file (or input line) it came from.
 */
import type { JobSettings } from '../config.js'
import { ActionError } from '../errors.js'
import { readUserFile } from '../files.js'
import { HCL_IDENT, hclString, hclValue, topLevelAttributes } from './hcl.js'

/** The origin of the `variables` input's lines in VariablesText.origins. */
export const VARIABLES_INPUT = 'variables input'

export interface VariablesText {
  /** What is sent as `Variables` to /v1/jobs/parse: var-files, then the `variables` input (which wins). */
  text: string
  /** The var-files part only (Submission.Variables); the `variables` input goes to VariableFlags. */
  fileText: string
  /** For each line of `text` (0-based), where it came from: a var-file, or VARIABLES_INPUT and its line. */
  origins: { file: string; line: number }[]
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
      throw new ActionError(`The \`variables\` input has an invalid variable name "${k}": names start with a letter or "_" and contain letters, digits, "_" or "-"`)
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
      fileAttrs = Object.entries(obj as Record<string, unknown>).map(([name, v]) => ({ name, text: `${name} = ${hclValue(v)}`, file, line: 1 }))
      text = fileAttrs.map((a) => a.text).join('\n')
    } else {
      fileAttrs = topLevelAttributes(text)?.map((a) => ({ ...a, file }))
    }
    rawParts.push({ file, text })
    if (!fileAttrs) scannable = false
    else for (const a of fileAttrs) attrs.set(a.name, a)
  }

  const origins: VariablesText['origins'] = []
  const pieces: string[] = []
  const push = (text: string, file: string, line: number) => {
    pieces.push(text)
    text.split('\n').forEach((_, i) => origins.push({ file, line: line + i }))
  }
  if (scannable) {
    for (const a of attrs.values()) if (!(a.name in settings.variables)) push(a.text, a.file, a.line)
  } else {
    // A var-file this scanner does not understand: pass the files through unchanged and let Nomad judge them.
    for (const p of rawParts) push(p.text.replace(/\s+$/, ''), p.file, 1)
  }
  const fileText = pieces.join('\n')
  const rendered = renderVariables(settings.variables)
  if (rendered) rendered.split('\n').forEach((l, i) => push(l, VARIABLES_INPUT, i + 1))
  const text = pieces.join('\n')
  return { text: text ? `${text}\n` : '', fileText: fileText ? `${fileText}\n` : '', origins }
}
