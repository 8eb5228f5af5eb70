import { createHash } from 'node:crypto';
import { InputError } from '../../core/src/index.js';

/** Keys of a dotenv text (`KEY=value`, `export KEY=value`); comments and blank lines skipped. */
export function envKeys(text: string): string[] {
  const keys: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m) keys.push(m[1]!);
  }
  return keys;
}

/** Values of a dotenv text, for masking. */
export function envValues(text: string): string[] {
  const values: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    const v = m[1]!.trim().replace(/^(['"])(.*)\1$/, '$2');
    if (v.length >= 3) values.push(v);
  }
  return values;
}

/** Every key of the template must be in the env file. Never shows a value. */
export function checkEnvAgainstTemplate(envText: string, templateText: string): void {
  const have = new Set(envKeys(envText));
  const missing = envKeys(templateText).filter((k) => !have.has(k));
  if (missing.length)
    throw new InputError(
      'env-file',
      `misses ${missing.length === 1 ? 'key' : 'keys'} ${missing.join(', ')} listed in env-template`,
      'add them to the env file (or remove them from the template)'
    );
  const lines = envText.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line && !line.startsWith('#') && !/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line))
      throw new InputError('env-file', `line ${i + 1} is not KEY=value`, 'write one KEY=value per line');
  });
}

/**
 * Variables a compose text marks as required for interpolation, `${NAME:?message}` or `${NAME?message}`
 * (`$${…}` is a literal `$` and does not count). Compose refuses the file on the host when one is unset.
 */
export function composeRequiredKeys(composeText: string): string[] {
  const keys = new Set<string>();
  for (const m of composeText.matchAll(/(\$*)\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g))
    if (m[1]!.length % 2 === 0) keys.add(m[2]!);
  return [...keys];
}

/**
 * Every variable the compose files require (`${NAME:?…}`) must be in the env file, but for the ones the deploy
 * sets itself (the port variable): named before the host is touched, never with a value.
 */
export function checkEnvAgainstCompose(
  envText: string,
  composeTexts: readonly string[],
  own: readonly string[]
): void {
  const have = new Set([...envKeys(envText), ...own]);
  const missing = [...new Set(composeTexts.flatMap(composeRequiredKeys))].filter((k) => !have.has(k));
  if (missing.length)
    throw new InputError(
      'env-file',
      `misses ${missing.length === 1 ? 'key' : 'keys'} ${missing.join(', ')} that compose-file requires (\`\${NAME:?…}\`)`,
      'add them to the env file (the ENV_FILE secret in the workflows), or give them a default in the compose file (`${NAME:-value}`)'
    );
}

export function configHash(composeText: string, images: Record<string, string>, envText: string): string {
  const h = createHash('sha256');
  h.update(composeText).update('\0');
  for (const k of Object.keys(images).sort()) h.update(`${k}=${images[k]}\n`);
  h.update('\0').update(envText);
  return `sha256:${h.digest('hex')}`;
}
