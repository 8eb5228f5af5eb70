import { join } from 'node:path/posix';
import { exposition, type MetricFamily } from '../../core/src/index.js';
import type { ScriptStep } from '../../ssh/src/index.js';
import { envSlug, type HostContext } from './run.js';
import type { ReleaseRecord } from './types.js';

/**
 * The deploy textfile (`metrics-dir`): at the end of each deploy and rollback, every host writes what it
 * serves and how the last run went as a Prometheus textfile, for node_exporter's textfile collector, so
 * deploys show up where people already look. One file per app and environment:
 *
 *   <metrics-dir>/deploy-actions_<app>_<environment>.prom
 *
 * written as a hidden temp file beside it (the collector reads only `*.prom`) and renamed over it, 0644.
 * The gauges come from the run; the two counters from the host's own history (every line it ever wrote), so
 * they only grow and survive a lost textfile: `deploy_rollbacks_total` counts `rollback.executed` (by hand or
 * automatic, drills left out), `deploy_failures_total` counts `deploy.failed`.
 */
export function textfilePath(metricsDir: string, app: string, environmentSlug: string): string {
  return join(metricsDir, `deploy-actions_${app}_${environmentSlug}.prom`);
}

export interface TextfileFacts {
  app: string;
  environment: string;
  /** What serves on the host when the run ends, if anything. */
  serving?: Pick<ReleaseRecord, 'id' | 'version' | 'digests' | 'activatedAt'>;
  /** The run: a deploy or a rollback, when it ended, how long it took, and whether it ended serving its release. */
  operation: 'deploy' | 'rollback';
  endedAt: Date;
  durationSeconds: number;
  succeeded: boolean;
}

/** The counters' samples are appended on the host (textfileArgv); these are their families' head lines. */
const COUNTERS: readonly [string, string][] = [
  [
    'deploy_rollbacks_total',
    'Rollbacks recorded in this host history (rollback.executed, by hand or automatic; drills not counted).'
  ],
  ['deploy_failures_total', 'Failed deploys recorded in this host history (deploy.failed).']
];

/** The gauges of a run, in the text exposition format (the counters follow on the host). */
export function textfileGauges(f: TextfileFacts): string {
  const labels = { app: f.app, environment: f.environment };
  const gauge = (name: string, help: string, value: number | undefined): MetricFamily => ({
    name,
    help,
    type: 'gauge',
    samples: value === undefined ? [] : [{ labels, value }]
  });
  const activated = f.serving?.activatedAt ? Date.parse(f.serving.activatedAt) / 1000 : undefined;
  return exposition([
    gauge(
      'deploy_last_success_timestamp_seconds',
      'When the release serving on this host began serving (its deploy or rollback completed).',
      activated !== undefined && Number.isFinite(activated) ? activated : undefined
    ),
    gauge(
      'deploy_duration_seconds',
      'How long the last deploy or rollback on this host took, from its start to its end, successful or not.',
      f.durationSeconds
    ),
    gauge(
      'deploy_last_run_timestamp_seconds',
      'When the last deploy or rollback on this host ended.',
      f.endedAt.getTime() / 1000
    ),
    gauge(
      'deploy_last_run_success',
      '1 when the last deploy or rollback on this host ended serving its release, 0 when it failed.',
      f.succeeded ? 1 : 0
    ),
    {
      name: 'deploy_info',
      help: 'The release serving on this host: one sample per service, with its version and pulled image digest.',
      type: 'gauge',
      samples: f.serving
        ? Object.entries(f.serving.digests)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([service, ref]) => ({
              labels: {
                ...labels,
                release: f.serving!.id,
                version: f.serving!.version,
                service,
                digest: ref.slice(ref.lastIndexOf('@') + 1)
              },
              value: 1
            }))
        : []
    }
  ]);
}

/** `{app="…",environment="…"}` as the counters' samples carry it (escaped as the exposition escapes labels). */
export function counterLabels(app: string, environment: string): string {
  const line = exposition([
    { name: 'x', help: 'x', type: 'counter', samples: [{ labels: { app, environment }, value: 0 }] }
  ])
    .split('\n')
    .find((l) => l.startsWith('x{'))!;
  return line.slice(2, line.lastIndexOf('}'));
}

/**
 * argv: write the textfile from stdin (the gauges) plus the counters counted in the history, by temp file and
 * rename, 0644. A history line is one JSON object written by JSON.stringify, so `"event":"rollback.executed"`
 * appears verbatim in the lines of that event and nowhere else (a quote inside a value is escaped).
 */
export function textfileArgv(file: string, history: string, labels: string): string[] {
  const head = (i: number) =>
    `# HELP ${COUNTERS[i]![0]} ${COUNTERS[i]![1]}\\n# TYPE ${COUNTERS[i]![0]} counter\\n`;
  return [
    'sh',
    '-c',
    [
      'umask 022',
      `r=$(grep -F '"event":"rollback.executed"' "$2" 2>/dev/null | grep -cvF '"drill":true')`,
      `f=$(grep -cF '"event":"deploy.failed"' "$2" 2>/dev/null)`,
      `t="$(dirname -- "$1")/.$(basename -- "$1").tmp.$$"`,
      `{ cat && printf '${head(0)}${COUNTERS[0]![0]}{%s} %s\\n${head(1)}${COUNTERS[1]![0]}{%s} %s\\n' "$3" "\${r:-0}" "$3" "\${f:-0}"; } > "$t" && chmod 0644 "$t" && mv -f -- "$t" "$1" || { rm -f -- "$t"; exit 1; }`
    ].join('; '),
    'sh',
    file,
    history,
    labels
  ];
}

export const TEXTFILE_STEP = 'write the deploy textfile';

/**
 * The step that writes a host's textfile at the end of a run, naming what serves there then (after its history lines are committed, so the
 * counters include them), or nothing when `metrics-dir` is not set. Unchecked: a textfile that cannot be
 * written is a warning (textfileWarning), never a failed deploy.
 */
export function textfileStep(
  ctx: HostContext,
  serving: TextfileFacts['serving'],
  succeeded: boolean
): ScriptStep | undefined {
  const dir = ctx.spec.metricsDir;
  if (!dir) return undefined;
  const now = ctx.rec.clock.now();
  const facts: TextfileFacts = {
    app: ctx.spec.app,
    environment: ctx.spec.environment,
    ...(serving ? { serving } : {}),
    operation: ctx.operation,
    endedAt: now,
    durationSeconds: Math.max(0, ctx.rec.clock.ms() - ctx.rec.startedMs) / 1000,
    succeeded
  };
  return {
    name: TEXTFILE_STEP,
    argv: textfileArgv(
      textfilePath(dir, ctx.spec.app, envSlug(ctx.spec)),
      ctx.host.layout.history,
      counterLabels(ctx.spec.app, ctx.spec.environment)
    ),
    stdin: textfileGauges(facts),
    check: false
  };
}

/** A textfile step that failed: what the log says (the deploy itself stands). */
export function textfileWarning(
  ctx: HostContext,
  result: { exitCode: number; stderr: string } | undefined
): void {
  if (!result || result.exitCode === 0) return;
  ctx.host.logger.warning(
    `could not write the deploy textfile in ${ctx.spec.metricsDir} on ${ctx.host.name} (${result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`}): the directory must exist and be writable by ${ctx.host.name}'s SSH user`
  );
}
