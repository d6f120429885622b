/** Entry point of the bundled action (dist/index.js). */
import { run } from './main.js'
import { installOutputRedaction } from './transport/index.js'

installOutputRedaction()
await run()
