/**
 * Docker Swarm commands as data: pure functions that build argv for the executor (local or SSH). Nothing here
 * runs anything. A per-deploy DOCKER_CONFIG travels as `env DOCKER_CONFIG=… docker …`, so a registry login
 * made for one deploy never stays in the deploy user's own ~/.docker.
 */

/** `docker …`, optionally with a private client config directory. */
export function dockerArgv(args: readonly string[], dockerConfig?: string): string[] {
  return dockerConfig ? ['env', `DOCKER_CONFIG=${dockerConfig}`, 'docker', ...args] : ['docker', ...args];
}

/** This node's swarm state: `{"LocalNodeState":"active","ControlAvailable":true,…}`. */
export function swarmInfoArgv(): string[] {
  return dockerArgv(['info', '--format', '{{json .Swarm}}']);
}

/**
 * Deploy a stack from a compose file on the host (`file`), or from stdin (`-`). No `--detach` flag: older CLIs do not know it and
 * detach anyway, newer ones may block; either way the caller waits for convergence itself and never trusts
 * the command's return. `--prune` removes services the new file no longer has.
 */
export function stackDeployArgv(
  stack: string,
  options: { withRegistryAuth: boolean; prune?: boolean; dockerConfig?: string; file?: string }
): string[] {
  return dockerArgv(
    [
      'stack',
      'deploy',
      ...(options.withRegistryAuth ? ['--with-registry-auth'] : []),
      ...(options.prune ? ['--prune'] : []),
      '--compose-file',
      options.file ?? '-',
      '--',
      stack
    ],
    options.dockerConfig
  );
}

/**
 * Everything the convergence judgement reads, in one command (one SSH session per look): the stack's
 * service objects, a marker line, then its task objects. The script is a constant; the stack name reaches
 * it only as the positional parameter $1, never as code.
 */
export const STACK_STATE_MARKER = '--- deploy-actions tasks ---';
export function stackStateArgv(stack: string): string[] {
  const script = [
    'set -u',
    'ids=$(docker service ls -q --filter "label=com.docker.stack.namespace=$1") || exit $?',
    'if [ -n "$ids" ]; then docker service inspect $ids || exit $?; else echo "[]"; fi',
    `echo '${STACK_STATE_MARKER}'`,
    'tasks=$(docker stack ps -q --no-trunc -- "$1" 2>/dev/null || true)',
    'if [ -n "$tasks" ]; then docker inspect --type task $tasks || exit $?; else echo "[]"; fi'
  ].join('\n');
  return ['sh', '-c', script, 'deploy-actions-stack-state', stack];
}

/** Swarm's own one-step rollback of a service to its previous spec, without waiting (we wait ourselves). */
export function serviceRollbackArgv(service: string): string[] {
  return dockerArgv(['service', 'rollback', '--detach', '--quiet', '--', service]);
}

/** Remove a stack (first deploy failed and nothing served before). */
export function stackRemoveArgv(stack: string): string[] {
  return dockerArgv(['stack', 'rm', '--', stack]);
}

/** Log in for one deploy: password on stdin, into the private config. */
export function registryLoginArgv(registry: string, username: string, dockerConfig: string): string[] {
  return dockerArgv(['login', '--username', username, '--password-stdin', '--', registry], dockerConfig);
}

/** A private directory for one deploy's client config (mktemp -d makes it 0700). */
export function privateDirArgv(): string[] {
  return ['mktemp', '-d', '-t', 'deploy-actions-docker.XXXXXXXX'];
}

export function removeDirArgv(dir: string): string[] {
  return ['rm', '-rf', '--', dir];
}
