/** Entry point of the bundled action (dist/index.js): the main step, or the post step (revokes what main left). */
import { isPostStep, markMainStep, post } from './auth/post.js'

if (isPostStep()) {
  await post()
} else {
  markMainStep()
  // Loaded here, not imported at the top: the post step does not need (or evaluate) the main step's modules.
  const { run } = await import('./main.js')
  const { cancelled } = await run()
  // A cancelled run may leave a follow loop waiting on Nomad: exit now, with a failure.
  if (cancelled) process.exit(1)
}
