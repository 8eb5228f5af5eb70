import {
  classifySshError,
  fingerprintOf,
  matchFingerprints,
  parseFingerprints,
  parseHostKeys,
  sshCommandArgv,
  sshConfigText,
  sshKeyscanArgv,
  sshMasterArgv,
  type SshSettings
} from '../../packages/ssh/src/index.js';

const settings: SshSettings = {
  configFile: '/t/config',
  identityFile: '/t/id',
  knownHostsFile: '/t/known_hosts',
  controlPath: '/t/cm',
  connectTimeoutS: 15,
  serverAliveIntervalS: 10,
  serverAliveCountMax: 3,
  controlPersistS: 600
};
const target = { host: 'app.example.com', port: 2222, user: 'deploy' };

describe('ssh argv', () => {
  it('pins host keys, uses keys only and never asks', () => {
    const argv = sshCommandArgv(settings, target, ['docker', 'ps']);
    const opts = argv.filter((_, i) => argv[i - 1] === '-o');
    expect(opts).toEqual(
      expect.arrayContaining([
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        'UserKnownHostsFile=/t/known_hosts',
        'GlobalKnownHostsFile=/dev/null',
        'IdentitiesOnly=yes',
        'IdentityFile=/t/id',
        'ConnectTimeout=15',
        'ServerAliveInterval=10',
        'ServerAliveCountMax=3',
        'ControlPath=/t/cm',
        'ControlMaster=no'
      ])
    );
    expect(argv.slice(0, 3)).toEqual(['ssh', '-F', '/t/config']);
    expect(argv.slice(-3)).toEqual(['--', 'app.example.com', 'docker ps']);
    expect(argv).toContain('2222');
  });

  it('quotes every remote argument so nothing is parsed as shell code', () => {
    const argv = sshCommandArgv(settings, target, ['echo', '$(rm -rf /)', "it's", 'a b;c']);
    expect(argv[argv.length - 1]).toBe(`echo '$(rm -rf /)' 'it'\\''s' 'a b;c'`);
    const cd = sshCommandArgv(settings, target, ['ls'], '/srv/my app');
    expect(cd[cd.length - 1]).toBe(`cd '/srv/my app' && ls`);
  });

  it('passes the jump host with -J and keeps the pinned options in the config the jump reads', () => {
    const argv = sshMasterArgv(settings, { ...target, jumpHost: 'bastion@jump.example.com:22' });
    expect(argv[argv.indexOf('-J') + 1]).toBe('bastion@jump.example.com:22');
    expect(argv).toEqual(expect.arrayContaining(['ControlMaster=yes', 'ControlPersist=600', '-f', '-N']));
    const config = sshConfigText({ ...settings, hostKeyAlgorithms: ['ssh-ed25519'] });
    expect(config).toContain('  StrictHostKeyChecking yes\n');
    expect(config).toContain('  UserKnownHostsFile /t/known_hosts\n');
    expect(config).toContain('  HostKeyAlgorithms ssh-ed25519\n');
    expect(config).not.toContain('ControlPath');
  });

  it('scans the key types we can pin', () => {
    expect(sshKeyscanArgv('h', 2222, 5)).toEqual([
      'ssh-keyscan',
      '-p',
      '2222',
      '-T',
      '5',
      '-t',
      'ed25519,ecdsa,rsa',
      '--',
      'h'
    ]);
  });
});

describe('host keys', () => {
  // ssh-keygen -lf of this key prints SHA256:4f2kQ4bS… (computed the same way: sha256 of the decoded blob).
  const blob = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
  it('computes OpenSSH SHA256 fingerprints and matches pinned ones of any offered type', () => {
    const fp = fingerprintOf(blob);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const keys = parseHostKeys(
      `# comment\n[h]:2222 ssh-ed25519 ${blob}\n[h]:2222 ssh-rsa AAAAB3NzaC1yc2E=\n`
    );
    expect(keys.map((k) => k.type)).toEqual(['ssh-ed25519', 'ssh-rsa']);
    expect(matchFingerprints(keys, parseFingerprints(`ED25519 ${fp}`)).matched).toHaveLength(1);
    expect(matchFingerprints(keys, ['SHA256:nope']).matched).toHaveLength(0);
  });

  it('tells a changed key from an unknown one', () => {
    expect(classifySshError('@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@')).toBe(
      'host-key-changed'
    );
    expect(
      classifySshError(
        'No ED25519 host key is known for [h]:2222 and you have requested strict checking.\nHost key verification failed.'
      )
    ).toBe('host-key-unknown');
    expect(classifySshError('root@h: Permission denied (publickey).')).toBe('auth');
    expect(classifySshError('ssh: connect to host h port 2: Connection refused')).toBe('unreachable');
  });
});
