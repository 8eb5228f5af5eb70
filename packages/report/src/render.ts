import { exposition, table, type MetricFamily } from '../../core/src/index.js';
import { DORA_BANDS } from './bands.js';
import type { EnvironmentReport, Figures } from './dora.js';

/** The JSON the CLI prints with `--format json`: one object per environment, attempts left out. */
export function reportJson(reports: readonly EnvironmentReport[]): string {
  return (
    JSON.stringify(
      reports.map(({ attempts: _attempts, ...r }) => r),
      null,
      2
    ) + '\n'
  );
}

const FIGURES: [keyof Figures, string][] = [
  ['deployments', 'Deploys started in the period.'],
  ['successfulDeployments', 'Deploys that ended serving.'],
  ['failedDeployments', 'Failed changes: failed gate or soak, rolled back, or followed by an incident.'],
  ['changeFailureRate', 'Failed changes / deploys.'],
  ['deploysPerWeek', 'Successful deploys per week over the period.'],
  ['leadTimeMedianSeconds', 'Median time from a commit to the first release containing it serving.'],
  ['leadTimeP90Seconds', '90th percentile of the lead time for changes.'],
  ['timeToRestoreMedianSeconds', 'Median time from a failed change serving to a healthy release serving.'],
  ['timeToRestoreWorstSeconds', 'Worst time to restore in the period.'],
  ['deployDurationMedianSeconds', 'Median deploy duration.'],
  ['timeToServeMedianSeconds', 'Median time from a deploy starting to its release serving.']
];

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The report as a Prometheus textfile: `deploy_actions_<figure>{app,environment}`; unknown figures are left out. */
export function reportExposition(reports: readonly EnvironmentReport[]): string {
  const families: MetricFamily[] = FIGURES.map(([key, help]) => ({
    name: `deploy_actions_${snake(key)}`,
    help,
    type: 'gauge',
    samples: reports.flatMap((r) =>
      r[key] === null ? [] : [{ labels: { app: r.app, environment: r.environment }, value: r[key] as number }]
    )
  }));
  families.push({
    name: 'deploy_actions_clock_skew_seconds',
    help: "A host's clock minus the runner's, measured when its history was read.",
    type: 'gauge',
    samples: reports.flatMap((r) =>
      r.hosts.flatMap((h) =>
        h.skewSeconds === null
          ? []
          : [{ labels: { app: r.app, environment: r.environment, host: h.host }, value: h.skewSeconds }]
      )
    )
  });
  return exposition(families);
}

const fmt = (v: number | null, unit: 's' | '%' | '' = ''): string => {
  if (v === null) return 'n/a';
  if (unit === '%') return `${(v * 100).toFixed(1)}%`;
  if (unit === 's') return duration(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
};

function duration(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** A job summary: the four keys with their band per environment, a weekly chart, and what was not counted. */
export function reportMarkdown(reports: readonly EnvironmentReport[]): string {
  const parts = [`## Delivery report (DORA bands from the ${DORA_BANDS.report})\n`];
  parts.push(
    table(
      [
        'environment',
        'deploys / week',
        'lead time (median, p90)',
        'change failure rate',
        'time to restore (median, worst)',
        'last drill',
        'last migration'
      ],
      reports.map((r) => [
        r.environment,
        `${fmt(r.deploysPerWeek)} (${r.bands.deploymentFrequency})`,
        `${fmt(r.leadTimeMedianSeconds, 's')}, ${fmt(r.leadTimeP90Seconds, 's')}${r.bands.leadTime ? ` (${r.bands.leadTime})` : ''}`,
        `${fmt(r.changeFailureRate, '%')} of ${r.deployments}${r.bands.changeFailureRate ? ` (${r.bands.changeFailureRate})` : ''}`,
        `${fmt(r.timeToRestoreMedianSeconds, 's')}, ${fmt(r.timeToRestoreWorstSeconds, 's')}${r.bands.timeToRestore ? ` (${r.bands.timeToRestore})` : ''}`,
        (r.lastDrill ?? 'never') + (r.drillOlderThanMigration ? ' ⚠️ older than the last migration' : ''),
        r.lastMigration ? `${r.lastMigration} (${r.lastMigrationSource})` : 'none recorded'
      ])
    )
  );
  for (const r of reports) {
    if (r.weeks.length) {
      parts.push(
        `\n### ${r.environment}: deploys per week\n\n\`\`\`mermaid\nxychart-beta\n  x-axis [${r.weeks.map((w) => `"${w.week}"`).join(', ')}]\n  y-axis "deploys"\n  bar [${r.weeks.map((w) => w.deployments).join(', ')}]\n  line [${r.weeks.map((w) => w.failedDeployments).join(', ')}]\n\`\`\`\n`
      );
    }
    for (const s of r.skew)
      parts.push(
        `\n⚠️ ${r.environment}: ${s.host}'s clock is ${s.seconds.toFixed(1)} s off the runner's (reported, not corrected).\n`
      );
    for (const n of r.notes) parts.push(`\n- ${r.environment}: ${n}`);
  }
  return parts.join('\n') + '\n';
}
