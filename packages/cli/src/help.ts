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
    "  deploy-actions report --host … --app …        delivery metrics (DORA keys) from the hosts' history",
    "  deploy-actions incident --host … --app …      record incident.opened in the hosts' history",
    "  deploy-actions observe-key --host … --app …   let a read-only key read the app's history (for report)",
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
