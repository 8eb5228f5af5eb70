import { ACTION_HELP, type ActionHelp } from './help.generated.js';

/** An action as its help shows it; help.generated.ts holds every action's, generated from manifest.yml. */
export type { ActionHelp };

export function actionsHelp(actions: readonly ActionHelp[] = ACTION_HELP): string {
  const width = Math.max(...actions.map((a) => a.id.length), 10);
  return [
    "deploy-actions: run the suite's actions outside GitHub (runbooks, other CI systems).",
    '',
    'Usage:',
    '  deploy-actions <action> --<input> <value> …   run an action with its inputs',
    "  deploy-actions <action> --help               list an action's inputs and outputs",
    '  deploy-actions check-workflows [dir]          check workflows that use these actions',
    '  deploy-actions doctor --host … --app …        check hosts as deploy-compose would use them (its inputs)',
    '  deploy-actions logs --host … --app …          logs of the containers that serve now',
    '  deploy-actions exec --host … --app … --service <s> -- <cmd>   run a command in the serving container',
    '  deploy-actions remove --host … --app … --confirm <app>   tear the app down in one environment',
    "  deploy-actions report --host … --app …        delivery metrics (DORA keys) from the hosts' history",
    "  deploy-actions incident --host … --app …      record incident.opened in the hosts' history",
    "  deploy-actions observe-key --host … --app …   let a read-only key read the app's history (for report)",
    '  deploy-actions pause|resume --host … --app …  a 503 maintenance page for one app of a front door, or back',
    '  deploy-actions environments plan|apply --file environments.yml   GitHub environments from a file',
    '',
    'Options for any action: --json (print outputs as JSON), --summary-file <path> (write the job summary).',
    'Secrets can come from the environment: --password-env NAME reads the input "password" from $NAME.',
    '',
    'Actions:',
    ...actions.map((a) => `  ${a.id.padEnd(width)}  ${a.description}`),
    ''
  ].join('\n');
}

export function actionHelp(action: ActionHelp): string {
  const lines = [`deploy-actions ${action.id}: ${action.description}`, '', 'Inputs:'];
  for (const spec of action.inputs) {
    const tags = [
      spec.required ? 'required' : '',
      spec.default !== '' ? `default: ${JSON.stringify(spec.default)}` : ''
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  --${spec.name}${tags ? `  (${tags})` : ''}`);
    lines.push(`      ${spec.description.replace(/\s*\n\s*/g, ' ')}`);
  }
  lines.push('', 'Outputs:');
  for (const spec of action.outputs)
    lines.push(`  ${spec.name}: ${spec.description.replace(/\s*\n\s*/g, ' ')}`);
  return lines.join('\n') + '\n';
}

/** The deploy-compose inputs `doctor` reads: how to reach the hosts and how the app would live there. */
const DOCTOR_INPUTS = new Set([
  'host',
  'port',
  'user',
  'ssh-key',
  'known-hosts',
  'host-fingerprint',
  'jump-host',
  'app',
  'environment',
  'strategy',
  'public-port',
  'slot-ports',
  'state-dir'
]);

/** `deploy-actions doctor --help`: its own usage and the inputs it reads (not deploy-compose's whole help). */
export function doctorHelp(deployCompose: ActionHelp): string {
  const lines = [
    'deploy-actions doctor: check every host as deploy-compose would use it (SSH and the pinned key, shell cost,',
    'docker permission, compose, nginx, state-dir, free disk, ports, the proxy boot hook). Changes nothing.',
    '',
    'Usage: deploy-actions doctor --host <host> --app <app> --ssh-key-env NAME --known-hosts <lines> [--strategy …]',
    '',
    'Inputs (as deploy-compose takes them):'
  ];
  for (const spec of deployCompose.inputs.filter((i) => DOCTOR_INPUTS.has(i.name))) {
    const tags = [
      spec.required ? 'required' : '',
      spec.default !== '' ? `default: ${JSON.stringify(spec.default)}` : ''
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  --${spec.name}${tags ? `  (${tags})` : ''}`);
    lines.push(`      ${spec.description.replace(/\s*\n\s*/g, ' ')}`);
  }
  return lines.join('\n') + '\n';
}
