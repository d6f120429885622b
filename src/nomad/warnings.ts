/**
 * Nomad's `Warnings` string (register and plan responses) as one line per warning.
 *
 * Nomad builds it with helper.MergeMultierrorWarnings: a header "1 warning:" or "N warnings:", then one entry per
 * warning, each starting "\n* " at column 0. Group and task warnings are nested go-multierror lists that are not
 * re-indented: `Group "g" has warnings: 1 error occurred:` then `\t* Task "t" has warnings: 1 error occurred:` then
 * `\t* Identity[vault_default] identities without an expiration are insecure` (nomad/structs Job.Warnings,
 * TaskGroup.Warnings, Task.Warnings). The nesting lines are context, not warnings: a group's own warnings come
 * before its tasks, and a task's warnings follow its header, so each leaf is named by the group and task above it.
 */

const COUNT_LINE = /^\d+ (warnings?|errors? occurred|error\(s\) occurred):$/i
const GROUP = /^Group "((?:[^"\\]|\\.)*)" has warnings:\s*(.*)$/
const TASK = /^Task "((?:[^"\\]|\\.)*)" has warnings:\s*(.*)$/

export function splitWarnings(w: string | null | undefined): string[] {
  if (!w) return []
  const out: string[] = []
  let group = ''
  let task = ''
  for (const raw of w.split('\n')) {
    if (raw.trim() === '') continue
    // A top-level entry ("* " at column 0) starts a new context.
    if (/^\*\s/.test(raw)) {
      group = ''
      task = ''
    }
    let line = raw.trim().replace(/^\*\s*/, '')
    const g = GROUP.exec(line)
    if (g) {
      group = g[1]
      task = ''
      line = g[2]
    }
    const t = TASK.exec(line)
    if (t) {
      task = t[1]
      line = t[2]
    }
    if (line === '' || COUNT_LINE.test(line)) continue
    const where = group && task ? `group "${group}", task "${task}"` : group ? `group "${group}"` : task ? `task "${task}"` : ''
    out.push(where ? `${where}: ${line}` : line)
  }
  return out
}
