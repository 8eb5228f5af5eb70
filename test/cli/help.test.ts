import { ACTION_HELP, actionsHelp, doctorHelp } from '../../packages/cli/src/index.js';

describe('CLI help', () => {
  it('lists every command beyond the actions, environments included', () => {
    const text = actionsHelp();
    for (const c of ['check-workflows', 'doctor', 'report', 'incident', 'environments'])
      expect(text).toContain(`deploy-actions ${c}`);
  });

  it("doctor --help is doctor's own: its usage and only the inputs it reads", () => {
    const text = doctorHelp(ACTION_HELP.find((a) => a.id === 'deploy-compose')!);
    expect(text).toMatch(/^deploy-actions doctor: /);
    for (const i of ['host', 'ssh-key', 'known-hosts', 'app', 'strategy', 'public-port', 'state-dir'])
      expect(text).toContain(`--${i}`);
    expect(text).not.toContain('--images');
    expect(text).not.toContain('--migrate-command');
    expect(text).not.toContain('Outputs:');
  });
});
