/** Entry point of the bundled action (dist/index.js). */
import { run } from './main.js'

const { cancelled } = await run()
// A cancelled run may leave a follow loop waiting on Nomad: exit now, with a failure.
if (cancelled) process.exit(1)
