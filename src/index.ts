/** Entry point of the bundled action (dist/index.js): the main step, or the post step (revokes what main left). */
import { isPostStep, markMainStep, post } from './auth/post.js'
import { run } from './main.js'
import { installOutputRedaction } from './transport/index.js'

installOutputRedaction()
if (isPostStep()) {
  await post()
} else {
  markMainStep()
  await run()
}
