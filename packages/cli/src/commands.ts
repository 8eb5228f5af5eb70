/**
 * CLI commands beyond running an action. Each takes its arguments and the repository root and returns an
 * exit code. Imported lazily so `deploy-actions <action>` starts fast.
 */
export type CliCommand = (
  args: string[],
  root: string,
  /** The CLI itself (main), for a command that runs an action: passed in, so this file does not import main. */
  cli: (args: string[]) => Promise<number>
) => Promise<number>;

export const extraCommands: Record<string, CliCommand> = {
  environments: async (args) => (await import('./environments.js')).environmentsCommand(args),
  // Each host checked as deploy-compose would use it: deploy-compose's own checks, and nothing changed.
  doctor: async (args, _root, cli) => {
    if (args.includes('--help') || args.includes('-h')) {
      const { doctorHelp } = await import('./help.js');
      const { ACTION_HELP } = await import('./help.generated.js');
      process.stdout.write(doctorHelp(ACTION_HELP.find((a) => a.id === 'deploy-compose')!));
      return 0;
    }
    return cli(['deploy-compose', ...args, '--doctor', 'only']);
  },
  logs: async (args) => (await import('./app-ops.js')).logsCommand(args),
  exec: async (args) => (await import('./app-ops.js')).execCommand(args),
  remove: async (args) => (await import('./app-ops.js')).removeCommand(args),
  report: async (args) => (await import('./report.js')).reportCommand(args),
  incident: async (args) => (await import('./incident.js')).incidentCommand(args),
  pause: async (args) => (await import('./pause.js')).pauseCommand(args, 'pause'),
  resume: async (args) => (await import('./pause.js')).pauseCommand(args, 'resume'),
  'observe-key': async (args, root) => (await import('./observe-key.js')).observeKeyCommand(args, root),
  'check-workflows': async (args, root) =>
    (await import('./check-workflows.js')).checkWorkflowsCommand(args, root)
};
