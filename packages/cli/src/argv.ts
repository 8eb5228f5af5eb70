/** Parse `--name value`, `--name=value` and bare `--flag` into an ordered map (repeats join with newlines). */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
}

export function parseArgs(
  args: readonly string[],
  booleanFlags: ReadonlySet<string> = new Set()
): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const set = (k: string, v: string) => flags.set(k, flags.has(k) ? `${flags.get(k)}\n${v}` : v);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 2) {
      set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const name = a.slice(2);
    const next = args[i + 1];
    if (booleanFlags.has(name) || next === undefined || next.startsWith('--')) set(name, 'true');
    else {
      set(name, next);
      i++;
    }
  }
  return { positional, flags };
}

/** Inputs that hold a secret: on the command line they land in shell history and the process list. */
export const SECRET_INPUTS = new Set([
  'password',
  'source-password',
  'ssh-key',
  'token',
  'github-token',
  'webhook-secret',
  'webhook-url',
  'database-url',
  'registry-auth',
  'secrets',
  'headers',
  'health-headers',
  'prometheus-headers',
  'health-prometheus-headers'
]);

/** A warning for each secret given as a flag value, pointing at its `--<name>-env VAR` form; [] otherwise. */
export function secretFlagWarnings(
  flags: ReadonlyMap<string, string>,
  declared: (name: string) => boolean
): string[] {
  return [...flags.keys()]
    .filter((k) => SECRET_INPUTS.has(k) && declared(k))
    .map(
      (k) =>
        `warning: --${k} puts the secret on the command line, where shell history and the process list (ps) ` +
        `show it to others; use --${k}-env NAME to read it from the environment variable NAME instead.`
    );
}
