/**
 * The plan file (`plan-file` output) and the `expected-plan` input: writes the plan document as JSON into RUNNER_TEMP
 * for actions/upload-artifact, and reads an approved plan back (a plan-id, or a path to a plan file through the safe
 * file reader). The document holds no secret: addresses without userinfo, no token, no run ID.
 */
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { ActionError } from '../errors.js'
import { readUserFile, type FileAccess } from '../files.js'
import { checkPlanFile } from './compare.js'
import { PLAN_FORMAT, PLAN_ID_RE, type PlanDocument } from './plan-doc.js'

/** Writes the plan document into `dir` and returns the file's path (one file per plan-id). */
export async function writePlanFile(dir: string, doc: PlanDocument): Promise<string> {
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, `nomad-vault-plan-${doc.planId.split('-')[1]}.json`)
  await fs.writeFile(file, `${JSON.stringify(doc, null, 2)}\n`)
  return file
}

/** The approved plan: a plan-id, or the plan document read from a file. Throws an ActionError naming the input. */
export function readExpectedPlan(value: string, access?: FileAccess): string | PlanDocument {
  const v = value.trim()
  if (PLAN_ID_RE.test(v)) return v
  if (/^np\d+-/.test(v)) {
    throw new ActionError(
      `Input "expected-plan": "${v.slice(0, 120)}" looks like a plan-id but is not one (it is cut or changed). Copy the plan-id output of the plan run whole.`
    )
  }
  const text = readUserFile(v, 'expected-plan', access)
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new ActionError(
      `Input "expected-plan": "${v}" is neither a plan-id nor a plan file (not JSON). Give the plan-id output or the plan-file output of the plan run.`
    )
  }
  if (!isPlanDocument(doc)) {
    throw new ActionError(
      `Input "expected-plan": "${v}" is not a plan file of this action (format "${PLAN_FORMAT}"). Give the plan-file output of the plan run.`
    )
  }
  const wrong = checkPlanFile(doc)
  if (wrong)
    throw new ActionError(
      `Input "expected-plan": the plan file "${v}" is not an approved plan: ${wrong}. Use the plan file the plan run wrote, unchanged.`
    )
  return doc
}

function isPlanDocument(v: unknown): v is PlanDocument {
  if (v === null || typeof v !== 'object') return false
  const d = v as Record<string, unknown>
  const vault = d.vault as Record<string, unknown> | undefined
  return (
    d.format === PLAN_FORMAT &&
    typeof d.planId === 'string' &&
    d.target !== null &&
    typeof d.target === 'object' &&
    !!vault &&
    Array.isArray(vault.changes) &&
    Array.isArray(d.jobs)
  )
}
