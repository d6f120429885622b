/**
 * Findings of `mode: check`: one per thing looked at that is wrong (or worth knowing), each with its evidence and
 * the fix. Pure helpers: ordering, the step verdict, and the Markdown for the job summary.
 */

export type Severity = 'error' | 'warning' | 'info'

export interface Finding {
  severity: Severity
  /** Stable id of the check, e.g. "vault-drift", "upgrade-check". */
  check: string
  message: string
  /** What to do about it ('' for a plain info). */
  fix: string
  /** What was seen: values read from Vault or Nomad (never a token). */
  evidence?: unknown
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 }

/** Errors first, then warnings, then infos; the order of the checks is kept within a severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map((x) => x.f)
}

export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 }
  for (const f of findings) out[f.severity]++
  return out
}

/** Why the step fails, or undefined when it passes. */
export function checkVerdict(findings: Finding[], failOnWarning: boolean): string | undefined {
  const n = countBySeverity(findings)
  if (n.error > 0) return `check found ${n.error} error(s)${n.warning ? ` and ${n.warning} warning(s)` : ''}: see the findings.`
  if (failOnWarning && n.warning > 0) return `check found ${n.warning} warning(s) and fail-on-warning is true: see the findings.`
  return undefined
}

/** The `findings` output: a JSON list of {severity, check, message, fix} (evidence included when there is some). */
export function findingsOutput(findings: Finding[]): string {
  return JSON.stringify(
    findings.map((f) => ({
      severity: f.severity,
      check: f.check,
      message: f.message,
      fix: f.fix,
      ...(f.evidence !== undefined ? { evidence: f.evidence } : {})
    }))
  )
}

const ICON: Record<Severity, string> = { error: '❌', warning: '⚠️', info: 'ℹ️' }
const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')

export function findingsSummary(findings: Finding[], header: { vaultAddr: string; nomadAddr: string; verdict?: string }): string {
  const n = countBySeverity(findings)
  const out: string[] = ['## Nomad workload identity: check (read-only)', '']
  out.push(
    `Vault ${'`'}${header.vaultAddr}${'`'}${header.nomadAddr ? `, Nomad ${'`'}${header.nomadAddr}${'`'}` : ''}: ` +
      `**${n.error} error(s), ${n.warning} warning(s), ${n.info} info(s)**. Nothing was written.`
  )
  if (header.verdict) out.push('', '> [!CAUTION]', `> ${esc(header.verdict)}`)
  if (findings.length > 0) {
    out.push('', '| | Check | Finding | Fix |', '|---|---|---|---|')
    for (const f of findings) out.push(`| ${ICON[f.severity]} ${f.severity} | ${esc(f.check)} | ${esc(f.message)} | ${esc(f.fix)} |`)
    const withEvidence = findings.filter((f) => f.evidence !== undefined)
    if (withEvidence.length > 0) {
      out.push('', '<details><summary>Evidence</summary>', '')
      for (const f of withEvidence) {
        out.push(`**${esc(f.check)}** (${f.severity})`, '', '```json', JSON.stringify(f.evidence, null, 2), '```', '')
      }
      out.push('</details>')
    }
  }
  return out.join('\n') + '\n'
}
