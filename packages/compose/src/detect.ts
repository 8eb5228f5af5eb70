import { DeployError, type Executor, type Logger } from '../../core/src/index.js';
import { parseComposeVersion, type ComposeGeneration, type ComposeTool } from './argv.js';

/**
 * Both probes in one round trip: the v2 plugin (`docker compose version`) first, then v1
 * (`docker-compose version`). Prints `generation v2|v1|none` after the version output.
 */
export function composeDetectArgv(options: { required?: boolean } = {}): string[] {
  return [
    'sh',
    '-c',
    [
      'if docker compose version 2>&1; then echo "generation v2"; exit 0; fi',
      // v1 is a Python program: `docker-compose version` costs ~1 s of interpreter start on every call. Its
      // answer is kept in the user's cache, keyed on the program's path, size and mtime (an upgrade changes
      // them); no cache (no HOME, read-only) only means paying the second again.
      'p=$(command -v docker-compose 2>/dev/null) && k=$(stat -L -c "%n %s %Y" "$p" 2>/dev/null) && c="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/deploy-actions/compose-v1" && [ -f "$c" ] && [ "$(head -n 1 "$c")" = "$k" ] && tail -n +2 "$c" && echo "generation v1" && exit 0',
      'if out=$(docker-compose version 2>&1); then printf "%s\\n" "$out"; if [ -n "$k" ] && mkdir -p "${c%/*}" 2>/dev/null; then { printf "%s\\n" "$k"; printf "%s\\n" "$out"; } > "$c.$$" 2>/dev/null && mv -f "$c.$$" "$c" 2>/dev/null; fi; echo "generation v1"; exit 0; fi',
      // required: fail, so a phase stops here before it changes anything.
      `echo "PATH=$PATH"; echo "generation none"${options.required ? '; exit 1' : ''}`
    ].join('\n')
  ];
}

/** Parse composeDetectArgv's output. Pure. */
export function parseDetect(output: string): ComposeTool | { tried: string } {
  const m = /generation (v1|v2|none)\s*$/.exec(output.trim());
  const generation = m?.[1];
  if (generation === 'v1' || generation === 'v2') {
    // Only the output of the probe that worked: the v2 failure text precedes a v1 success.
    const lines = output.trim().split('\n');
    const own =
      generation === 'v2' ? lines : lines.slice(lines.findIndex((l) => /docker-compose version/i.test(l)));
    const version = parseComposeVersion(own.join('\n'));
    if (version) return { generation: generation as ComposeGeneration, version };
  }
  return { tried: output.trim().split('\n').slice(-6).join(' | ') };
}

/**
 * Find Compose where the executor runs: the v2 plugin first, then v1. Both absent is an error that says what
 * was tried where.
 */
export async function detectCompose(executor: Executor, logger?: Logger): Promise<ComposeTool> {
  const r = await executor.run({
    argv: composeDetectArgv(),
    check: false,
    timeoutMs: 30_000,
    step: 'detect compose'
  });
  return composeFound(r.stdout + r.stderr, executor.target, logger);
}

/** The compose tool composeDetectArgv's output names, or the error that says what was tried where. */
export function composeFound(output: string, where: string, logger?: Logger): ComposeTool {
  const found = parseDetect(output);
  if ('generation' in found) {
    logger?.info(
      `compose: ${found.generation === 'v2' ? 'docker compose' : 'docker-compose'} ${found.version} (${found.generation}) on ${where}`
    );
    return found;
  }
  throw new DeployError(
    `Docker Compose was not found on ${where}: neither \`docker compose version\` nor \`docker-compose version\` worked (${found.tried})`,
    {
      state: 'nothing was changed on the host',
      hint: 'install the compose plugin (docker compose) or docker-compose on the host, on the PATH of a non-interactive shell'
    }
  );
}
