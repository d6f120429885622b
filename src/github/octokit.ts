/**
 * Octokit, loaded only when a feature needs the GitHub API (for example a pull-request comment or a deployment
 * record). A static import of @actions/github would make every run pay for octokit and undici at start-up; this
 * dynamic import keeps them out of the start-up path (the bundler keeps them in dist/index.js but evaluates them
 * only on first call). Usage: `const octokit = await loadOctokit(token)`.
 */
import type { getOctokit } from '@actions/github'

export type Octokit = ReturnType<typeof getOctokit>

export async function loadOctokit(token: string, options?: Parameters<typeof getOctokit>[1]): Promise<Octokit> {
  const github = await import('@actions/github')
  return github.getOctokit(token, options)
}
