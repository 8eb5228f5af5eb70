import { execFileSync } from 'node:child_process';
import { composeDetectArgv, parseDetect, type ComposeTool } from '../../packages/compose/src/index.js';
import { fieldHost, infra, integration, type FieldHost } from './infra.js';

/**
 * Which Compose a field host's deploy user runs, found the way the deploy finds it (the engine's own detect
 * script, as that user with its home), not read from a claim: infra.json says what each host is configured
 * with (`compose: v1|v2`), and a suite that deploys there fails when the two disagree.
 */
const found = new Map<string, ComposeTool | { tried: string }>();

export function detectOn(h: FieldHost): ComposeTool | { tried: string } {
  const known = found.get(h.name);
  if (known) return known;
  let out: string;
  try {
    out = execFileSync(
      'runuser',
      [
        '-u',
        h.user,
        '--',
        'env',
        `HOME=${h.home}`,
        'PATH=/usr/local/bin:/usr/bin:/bin',
        ...composeDetectArgv()
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }
    );
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? (err as Error).message);
  }
  const tool = parseDetect(out);
  found.set(h.name, tool);
  return tool;
}

/** `Compose v2 2.26.1-4 on host1`, from what answered on the host; `Compose ?` when the lab is not up. */
export function composeLabel(i: number): string {
  let h: FieldHost;
  try {
    infra();
    h = fieldHost(i);
  } catch {
    return `Compose ? on field host ${i + 1} (the lab is not up)`;
  }
  const tool = detectOn(h);
  return 'generation' in tool
    ? `Compose ${tool.generation} ${tool.version} on ${h.name}`
    : `no Compose on ${h.name} (${tool.tried})`;
}

/** Fails unless field host `i` runs the Compose generation infra.json configures for it. */
export function expectConfiguredCompose(i: number): ComposeTool {
  const h = fieldHost(i);
  const tool = detectOn(h);
  if (!('generation' in tool))
    throw new Error(`${h.name} is configured for Compose ${h.compose}, but none answered: ${tool.tried}`);
  if (tool.generation !== h.compose)
    throw new Error(
      `${h.name} is configured for Compose ${h.compose} (infra.json), but ${tool.generation} ${tool.version} answered. Run: bash scripts/infra.sh up`
    );
  return tool;
}

/**
 * integration() for a suite that deploys to field hosts `hosts` (0-based): its name says which Compose ran
 * there, and it fails before its first test when that is not the generation the host is configured with.
 */
export function integrationOn(title: string, hosts: readonly number[], fn: () => void): void {
  integration(`${title} [${hosts.map(composeLabel).join('; ')}]`, () => {
    beforeAll(() => {
      for (const i of hosts) expectConfiguredCompose(i);
    });
    fn();
  });
}
