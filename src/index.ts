/** Entry point of the bundled action (dist/index.js): the main step, or the post step (revokes what main left). */
import { isPostStep, markMainStep, post } from './auth/post.js'
import { run } from './main.js'

if (isPostStep()) {
  await post()
} else {
  markMainStep()
  await run()
}
