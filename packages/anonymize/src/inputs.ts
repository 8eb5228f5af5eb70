import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, type InputReader } from '../../core/src/index.js';
import { parseEnvironmentsFile } from '../../environments/src/index.js';
import { defaultsOf } from '../../manifest/src/index.js';
import { parseDatabaseUrl } from '../../migrate/src/index.js';
import type { AnonymizeOptions } from './run.js';

const DEFAULTS = defaultsOf('anonymize-data');

/**
 * Every input of anonymize-data, read and validated into one options object before any connection: the
 * URLs (or SOURCE_DATABASE_URL / DATABASE_URL), the rules file, the salt, and the production refusal.
 */
export function readAnonymizeInputs(
  inputs: InputReader,
  env: NodeJS.ProcessEnv = process.env
): AnonymizeOptions {
  const url = (name: 'source-url' | 'target-url', envName: string) => {
    const text = inputs.raw(name) || (env[envName] ?? '').trim();
    if (!text)
      throw new InputError(
        name,
        `is required (and env ${envName} is not set)`,
        `pass it from a secret: ${name}: \${{ secrets.${envName} }}`
      );
    return parseDatabaseUrl(text, inputs.raw(name) ? name : `${name} (from env ${envName})`);
  };
  const source = url('source-url', 'SOURCE_DATABASE_URL');
  const target = url('target-url', 'DATABASE_URL');
  const salt = inputs.raw('salt');
  if (salt.length < 16)
    throw new InputError(
      'salt',
      salt ? 'is shorter than 16 characters' : 'is required',
      'pass a long random secret, e.g. `openssl rand -hex 32` stored as a secret'
    );
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : resolve(workspace, p));
  const rulesFile = inputs.string('rules', { fallback: DEFAULTS.text('rules') });
  if (!existsSync(at(rulesFile)))
    throw new InputError(
      'rules',
      `${rulesFile} does not exist in the workspace`,
      'commit the rules file (check out the repository first) or point `rules` at it'
    );
  const environment = inputs.optional('target-environment');
  if (environment) {
    const envFile = at(inputs.string('environments-file', { fallback: DEFAULTS.text('environments-file') }));
    if (existsSync(envFile)) {
      const spec = parseEnvironmentsFile(readFileSync(envFile, 'utf8'), envFile).environments.find(
        (e) => e.name === environment
      );
      if (spec?.production)
        throw new InputError(
          'target-environment',
          `${environment} is marked production: true in ${envFile}`,
          'anonymized copies go to staging-like environments only; name the environment the target belongs to'
        );
    }
  }
  const schemas = inputs.list('schemas');
  for (const s of schemas)
    if (!/^[a-z_][a-z0-9_$]*$/.test(s))
      throw new InputError(
        'schemas',
        `"${s}" is not a plain schema name`,
        'use lower-case unquoted names like public'
      );
  const pgDump = inputs.optional('pg-dump');
  return {
    source,
    target,
    rulesText: readFileSync(at(rulesFile), 'utf8'),
    rulesFile,
    salt,
    schemas: schemas.length ? schemas : [DEFAULTS.text('schemas')],
    ...(pgDump ? { pgBin: pgDump.endsWith('pg_dump') ? join(pgDump, '..') : pgDump } : {}),
    leakSample: inputs.integer('leak-sample', {
      fallback: Number(DEFAULTS.text('leak-sample')),
      min: 1,
      max: 100_000
    }),
    evidenceFile: at(
      inputs.optional('evidence-file') ?? join(env.RUNNER_TEMP || workspace, 'anonymize-data-evidence.json')
    )
  };
}
