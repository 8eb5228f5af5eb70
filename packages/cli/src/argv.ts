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
