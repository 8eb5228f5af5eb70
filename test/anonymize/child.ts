import { readFileSync } from 'node:fs';
import { captureLogger, LocalExecutor } from '../../packages/core/src/index.js';
import { parseDatabaseUrl } from '../../packages/migrate/src/index.js';
import { anonymize } from '../../packages/anonymize/src/index.js';

/** The engine in its own process, for the kill and memory tests. Options (URLs, salt) arrive on stdin. */
const o = JSON.parse(readFileSync(0, 'utf8')) as {
  source: string;
  target: string;
  rules: string;
  salt: string;
  pgBin: string;
};
// The engine's log goes to stderr when the process ends, for the test's failure messages.
const logger = captureLogger();
process.on('exit', () => process.stderr.write(logger.text() + '\n'));
const result = await anonymize(
  {
    source: parseDatabaseUrl(o.source, 'source-url'),
    target: parseDatabaseUrl(o.target, 'target-url'),
    rulesText: o.rules,
    rulesFile: 'anonymize.yml',
    salt: o.salt,
    schemas: ['public'],
    pgBin: o.pgBin,
    leakSample: 20
  },
  { logger, executor: new LocalExecutor() }
);
process.stdout.write(
  `${JSON.stringify({ rows: result.tables.map((t) => [t.table, t.rows]), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`
);
