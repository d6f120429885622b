/**
 * A `POST /v1/jobs/parse` 400 as an ActionError that points at the file and line really at fault: the job file, a
 * var-file, or the `variables` input line (Nomad names both the job and the variables "input.hcl").
 */
import { ActionError } from '../errors.js'
import type { DeclaredVariable } from './hcl.js'
import { locateInputLine, VARIABLES_INPUT, type VariablesText } from './variables.js'

/** `input.hcl:L,C-C` or `input.hcl:L,C-L,C`: Nomad names both the job and the variables "input.hcl". */
const POSITION = /input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?/g
const DIAGNOSTIC = /^(?:input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?|<nil>):\s*/
/**
 * Diagnostics whose position is in the Variables text (jobspec2 collectInputVariableValues and Variable.Value):
 * the Variables are parsed as their own "input.hcl" from line 1, so their positions are not job file lines.
 */
const VARIABLE_SUMMARIES =
  /^(Invalid value for variable|Invalid value for varfile variable|Variable declaration in a \.var file|Undefined variable|Variables not allowed|Function calls not allowed|Unexpected "[^"]*" block)(;|$)/

interface Place {
  text: string
  annotation?: ActionError['annotation']
  /** What to name in the headline when this is the first diagnostic: the var-file or the input. */
  target?: string
}

/**
 * Turn a /v1/jobs/parse 400 into an ActionError that points at the file and line really at fault. Nomad parses the
 * job and the Variables as two files both called input.hcl (command/agent/job_endpoint.go, jobspec2/parse.go):
 * - `unable to parse var content: input.hcl:1,13-2,1: …`: a syntax error in the Variables (lines of vars.text);
 * - `input.hcl:L,C-C: Invalid value for variable; The value for n is not …`: a value in the Variables;
 * - `<nil>: Unset variable "n"; …`: no position; the job declares n with no default and nothing set it;
 * - anything else: a position in the job file.
 */
export function parseError(file: string, source: string, serverMessage: string, vars?: VariablesText, declared?: DeclaredVariable[]): ActionError {
  let body = serverMessage.replace(/^Failed to parse job:\s*/i, '').trim()
  const varSyntax = /^unable to parse var content:\s*/i.test(body)
  body = body.replace(/^unable to parse var content:\s*/i, '')
  const jobPlace = (line: number, column: number): Place => ({
    text: `${file}:${line},${column}`,
    annotation: { file, startLine: line, startColumn: column }
  })
  const varPlace = (line: number, column: number): Place => {
    const origin = vars?.origins[line - 1]
    if (!origin) return { text: `the variables (line ${line},${column})`, annotation: { file }, target: 'the variables' }
    if (origin.file === VARIABLES_INPUT) {
      const name = origin.name ? ` (${origin.name})` : ''
      // The fault is in the workflow file, not the job file: annotate its line when it is checked out, else nothing.
      return {
        text: `the \`variables\` input${name}`,
        annotation: origin.name ? locateInputLine(origin.name) : undefined,
        target: `the \`variables\` input${name}`
      }
    }
    const col = origin.rendered ? '' : `,${column}`
    return {
      text: `${origin.file}:${origin.line}${col}`,
      annotation: { file: origin.file, startLine: origin.line, ...(origin.rendered ? {} : { startColumn: column }) },
      target: origin.file
    }
  }

  let first: Place | undefined
  const lines = diagnostics(body).map((d) => {
    const m = DIAGNOSTIC.exec(d)
    if (!m) return d.replace(POSITION, (_x, l: string, c: string) => jobPlace(Number(l), Number(c)).text)
    let rest = d.slice(m[0].length)
    let place: Place
    if (m[1] === undefined) {
      // "<nil>: Unset variable "n"": point at the job's declaration of n, and say how to set it.
      const unset = /^Unset variable "([^"]+)"/.exec(rest)?.[1]
      const decl = unset ? declared?.find((v) => v.name === unset) : undefined
      place = decl ? { text: `${file}:${decl.line}`, annotation: { file, startLine: decl.line } } : { text: file, annotation: { file } }
      if (unset) rest += ` Set "${unset}" in the \`variables\` input or a var-file (input \`var-files\`), or give it a default.`
    } else {
      const inVars = varSyntax || VARIABLE_SUMMARIES.test(rest)
      place = (inVars ? varPlace : jobPlace)(Number(m[1]), Number(m[2]))
      // Positions inside the detail ("checked by the validation rule at input.hcl:5,3-13") are in the job file.
      rest = varSyntax
        ? rest.replace(POSITION, (_x, l: string, c: string) => varPlace(Number(l), Number(c)).text)
        : rest.replace(POSITION, (_x, l: string, c: string) => jobPlace(Number(l), Number(c)).text)
    }
    first ??= place
    return `${place.text}: ${rest}`
  })
  const annotation = first ? first.annotation : { file }
  const intro = first?.target ? `Nomad could not use ${first.target} (variables for job file ${file})` : `Nomad could not parse the job file ${file}`
  return new ActionError(`${intro}:\n${lines.join('\n')}`, { annotation })
}

/** The diagnostics of a message: each starts a line with a position (or "<nil>:"); details may span lines. */
function diagnostics(body: string): string[] {
  const out: string[] = []
  for (const line of body.split('\n')) {
    if (out.length === 0 || DIAGNOSTIC.test(line)) out.push(line)
    else out[out.length - 1] += `\n${line}`
  }
  return out
}
