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
 * Deploy a stack from the compose file on stdin (`-c -`). No `--detach` flag: older CLIs do not know it and
 * detach anyway, newer ones may block; either way the caller waits for convergence itself and never trusts
 * the command's return. `--prune` removes services the new file no longer has.
 */
export function stackDeployArgv(
  stack: string,
  options: { withRegistryAuth: boolean; prune?: boolean; dockerConfig?: string }
): string[] {
  return dockerArgv(
    [
      'stack',
      'deploy',
      ...(options.withRegistryAuth ? ['--with-registry-auth'] : []),
      ...(options.prune ? ['--prune'] : []),
      '--compose-file',
      '-',
      '--',
      stack
    ],
    options.dockerConfig
  );
}

/** The stack's services, one name per line. */
export function stackServicesArgv(stack: string): string[] {
  return dockerArgv([
    'service',
    'ls',
    '--filter',
    `label=com.docker.stack.namespace=${stack}`,
    '--format',
    '{{.Name}}'
  ]);
}

/** Full service objects (JSON array): spec, previous spec, update status. */
export function serviceInspectArgv(services: readonly string[]): string[] {
  return dockerArgv(['service', 'inspect', '--', ...services]);
}

/** Task ids of every service of the stack, one per line (exits non-zero when the stack has none). */
export function stackTasksArgv(stack: string): string[] {
  return dockerArgv(['stack', 'ps', '--quiet', '--no-trunc', '--', stack]);
}

/** Full task objects (JSON array). */
export function taskInspectArgv(taskIds: readonly string[]): string[] {
  return dockerArgv(['inspect', '--type', 'task', '--', ...taskIds]);
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
