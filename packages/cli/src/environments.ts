import { readFileSync } from 'node:fs';
import { describeError } from '../../core/src/index.js';
import {
  applyPlan,
  parseEnvironmentsFile,
  planEnvironments,
  renderPlan
} from '../../environments/src/index.js';
import type { GitHubRequest } from '../../github/src/index.js';
import { parseArgs } from './argv.js';

/**
 * deploy-actions environments plan|apply --file environments.yml [--repo owner/name] [--prune]
 *
 * Environment protection as code: required reviewers, wait timer, deployment branch and tag policies,
 * environment variables, and the names of required secrets. `plan` prints the diff and changes nothing.
 * The token comes from GITHUB_TOKEN or GH_TOKEN (it needs repository Administration: write).
 */
export async function octokitRequest(token: string, baseUrl: string): Promise<GitHubRequest> {
  // Loaded only here: the actions that never call GitHub do not pay for Octokit at start. The shared
  // client keeps Octokit's own request log (expected 404s) out of stderr.
  return (await import('../../github/src/index.js')).octokitRequest({ token, baseUrl });
}

export async function environmentsCommand(args: string[]): Promise<number> {
  const { positional, flags } = parseArgs(args, new Set(['prune', 'help']));
  const verb = positional[0];
  if (flags.has('help') || (verb !== 'plan' && verb !== 'apply')) {
    process.stdout.write(
      'Usage: deploy-actions environments plan|apply --file environments.yml [--repo owner/name] [--prune]\n' +
        '  plan   show what would change (a dry run)\n  apply  make GitHub match the file\n' +
        'Token: GITHUB_TOKEN or GH_TOKEN with repository Administration: write. API: GITHUB_API_URL.\n'
    );
    return flags.has('help') ? 0 : 2;
  }
  try {
    const file = flags.get('file') ?? 'environments.yml';
    const config = parseEnvironmentsFile(readFileSync(file, 'utf8'), file);
    const repository = flags.get('repo') ?? config.repository ?? process.env.GITHUB_REPOSITORY;
    if (!repository || !repository.includes('/')) {
      process.stderr.write('No repository: pass --repo owner/name or set repository: in the file.\n');
      return 2;
    }
    const token = process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN;
    if (!token) {
      process.stderr.write(
        'No token: set GITHUB_TOKEN or GH_TOKEN (Administration: write on the repository).\n'
      );
      return 2;
    }
    const [owner, repo] = repository.split('/') as [string, string];
    const request = await octokitRequest(token, process.env.GITHUB_API_URL ?? 'https://api.github.com');
    const plan = await planEnvironments(request, owner, repo, config.environments, {
      prune: flags.has('prune')
    });
    process.stdout.write(renderPlan(plan));
    if (verb === 'apply') {
      const n = await applyPlan(request, plan);
      process.stdout.write(`Applied ${n} change(s).\n`);
    }
    return plan.missingSecrets.length ? 1 : 0;
  } catch (err) {
    process.stderr.write(describeError(err) + '\n');
    return 1;
  }
}
