/**
 * Human-readable lines for one planned Vault change: a header, then `field: before → after`, and a line diff for
 * policies (pure text), and logChange, which writes them to the apply log.
 */
import type { Change } from './plan-vault.js'

/** Human-readable lines for one change: a header, then `field: before → after` (a line diff for policies). */
export function formatChange(change: Change): string[] {
  const lines = [`${change.action} ${change.resource} ${change.path}`]
  for (const d of change.diff) {
    const multiline = typeof d.before === 'string' && d.before.includes('\n')
    if (d.field === 'policy' || multiline || (typeof d.after === 'string' && d.after.includes('\n'))) {
      lines.push(`  ${d.field}:`)
      for (const l of lineDiff(String(d.before ?? ''), String(d.after ?? ''))) lines.push(`    ${l}`)
    } else {
      lines.push(`  ${d.field}: ${fmt(d.before)} → ${fmt(d.after)}`)
    }
  }
  return lines
}

function fmt(v: unknown): string {
  if (v === undefined) return '(none)'
  return JSON.stringify(v)
}

/** A minimal LCS line diff: unchanged lines prefixed "  ", removed "- ", added "+ ". */
export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')
  const b = after === '' ? [] : after.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')
  const n = a.length
  const m = b.length
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`)
      i++
      j++
    } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`+ ${b[j++]}`)
    } else {
      out.push(`- ${a[i++]}`)
    }
  }
  return out
}

/** Logs one change: its header prefixed with "Vault: ", then its detail lines. */
export function logChange(log: (l: string) => void, change: Change): void {
  const lines = formatChange(change)
  log(`Vault: ${lines[0]}`)
  for (const l of lines.slice(1)) log(l)
}
