/**
 * Fits the job summary into GitHub's step summary limit (PURE): the verdicts stay; the Vault section, the job table
 * and the per-job detail are cut, least important first, and a note at the top says what was left out. capSummary
 * cuts any other summary (mode: check, mode: destroy) at the limit.
 */
import { bytes, SUMMARY_LIMIT } from '../bounds.js'

/** The summary's parts, in the order they are shown. */
export interface SummaryParts {
  title: string
  /** The caution, the Vault section, the release facts. */
  head: string[]
  /** The Nomad agent blocks. */
  agent: string[]
  /** One table row per job (a run of several jobs). */
  verdicts: string[]
  /** One section per job, in job order; `fails`: its detail is kept first. */
  details: { fails: boolean; text: string }[]
}

/** The jobs whose detail a summary shows at most (failing jobs first); the job table lists every job. */
export const DETAIL_JOBS = 50

/** Room kept for the note on what was cut. */
const NOTE_ROOM = 2048

export function fitSummary(p: SummaryParts, limit: number): string {
  const cuts: string[] = []
  const agent = p.agent.join('\n')
  let budget = limit - NOTE_ROOM - bytes(p.title) - bytes(agent) - 8

  // The Vault section takes at most half (thousands of roles or changes): whole lines, the rest named in the note.
  const head = takeLines(p.head, Math.floor(budget / 2))
  if (head.length < p.head.length) cuts.push(`${p.head.length - head.length} line(s) of the Vault section (the log lists every change)`)
  budget -= size(head)

  // The job table: every job when it fits, else the first rows that fit in three quarters of what is left.
  let table: string[] = []
  if (p.verdicts.length > 0) {
    const rows = takeLines(p.verdicts, Math.floor((budget * 3) / 4))
    if (rows.length < p.verdicts.length) cuts.push(`${p.verdicts.length - rows.length} row(s) of the job table (the outputs list every job)`)
    table = ['', `### Jobs (${p.verdicts.length})`, '', '| Job | Verdict | File |', '|---|---|---|', ...rows]
    budget -= size(table)
  }

  // Per-job detail: failing jobs first, at most DETAIL_JOBS, while they fit; shown in job order.
  const order = p.details.map((d, i) => ({ ...d, i })).sort((a, b) => Number(b.fails) - Number(a.fails) || a.i - b.i)
  const shown = new Map<number, string>()
  let partly = 0
  for (const d of order) {
    if (shown.size >= DETAIL_JOBS) break
    let text = d.text
    if (bytes(text) + 1 > budget) {
      if (budget < 1024) continue
      text = takeLines(text.split('\n'), budget - 200).join('\n') + '\n\n_(this job’s detail is cut here)_'
      partly++
    }
    shown.set(d.i, text)
    budget -= bytes(text) + 1
  }
  const left = p.details.length - shown.size
  if (left > 0) cuts.push(`the detail of ${left} job(s)${p.verdicts.length > 0 ? ' (their verdicts are in the job table)' : ''}`)
  if (partly > 0) cuts.push(`part of the detail of ${partly} job(s)`)

  const details = [...shown.entries()].sort(([a], [b]) => a - b).map(([, t]) => t)
  const note =
    cuts.length === 0
      ? []
      : [
          '',
          '> [!NOTE]',
          `> This summary is shortened to stay under GitHub's 1 MiB limit for a step summary. Not shown: ${cuts.join('; ')}. The log has all of it.`
        ]
  return [p.title, ...note, ...head, ...agent.split('\n'), ...table, ...details].join('\n') + '\n'
}

/**
 * Any other summary (mode: check, mode: destroy) within `limit` bytes: its leading lines, a code block or details
 * element cut open closed, and a note that says it was cut.
 */
export function capSummary(md: string, limit: number = SUMMARY_LIMIT): string {
  if (bytes(md) <= limit) return md
  const lines = md.split('\n')
  const kept = takeLines(lines, limit - NOTE_ROOM)
  const note = `> This summary is cut here to stay under GitHub's 1 MiB limit for a step summary (${lines.length - kept.length} more line(s)). The log has all of it.`
  return [...kept, '', '> [!NOTE]', note].join('\n') + '\n'
}

/** The leading lines that fit in `budget` bytes; a code block or a details element cut open is closed. */
function takeLines(lines: string[], budget: number): string[] {
  const out: string[] = []
  let used = 0
  for (const line of lines) {
    used += bytes(line) + 1
    if (used > budget) break
    out.push(line)
  }
  if (out.length === lines.length) return out
  if (out.filter((l) => l.trimStart().startsWith('```')).length % 2 === 1) out.push('```')
  const open = out.filter((l) => l.startsWith('<details')).length - out.filter((l) => l.startsWith('</details>')).length
  for (let i = 0; i < open; i++) out.push('</details>')
  return out
}

const size = (lines: string[]): number => lines.reduce((n, l) => n + bytes(l) + 1, 0)
