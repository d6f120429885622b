/** The modes that main.ts hands over entirely (deploy and setup are main.ts's own flow). */
import type { Config } from '../config.js'
import { ActionError } from '../errors.js'
import { runCheck } from './check.js'
import { runDestroy } from './destroy.js'
import type { ModeOptions } from '../inputs/mode-options.js'

export async function runMode(cfg: Config, opts: ModeOptions): Promise<void> {
  switch (opts.mode) {
    case 'check':
      await runCheck(cfg, opts)
      return
    case 'destroy':
      await runDestroy(cfg, opts)
      return
    default:
      throw new ActionError(`mode: ${opts.mode} is not available in this build yet; nothing was changed.`)
  }
}
