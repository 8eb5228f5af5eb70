import { refusal } from '../support/refusal.js';
import {
  buildxConfigDir,
  decodeLoginState,
  encodeLoginState,
  isEcr,
  parseRegistryAuth,
  planPublish,
  scopeConfigDir,
  usesEcr,
  type PublishOptions
} from '../../packages/registry/src/index.js';

const D = `sha256:${'b'.repeat(64)}`;
const base: PublishOptions = {
  registry: 'ghcr.io',
  username: 'octo',
  source: '',
  targets: [],
  tags: [],
  dockerLogin: true,
  dockerConfigDir: '/nonexistent'
};

describe('ECR detection (login-action ecr: auto)', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-3.amazonaws.com', true],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', true],
    ['123456789012.dkr-ecr.us-east-1.on.aws', true],
    ['public.ecr.aws', true],
    ['ecr-public.aws.com', true],
    ['12345.dkr.ecr.eu-west-3.amazonaws.com', false],
    ['ghcr.io', false],
    ['127.0.0.1:5055', false]
  ])('%s → %s', (host, ecr) => {
    expect(isEcr(host)).toBe(ecr);
    expect(usesEcr({ registry: host, ecr: 'auto' })).toBe(ecr);
    expect(usesEcr({ registry: host, ecr: 'false' })).toBe(false);
    expect(usesEcr({ registry: host, ecr: 'true' })).toBe(true);
  });
});

describe('scope (a buildx config dir per repository)', () => {
  const env = { BUILDX_CONFIG: '/cfg/buildx' };
  it('lands under <buildx config>/config/<registry>/<scope>; @push is appended; docker.io is registry-1', () => {
    expect(scopeConfigDir('ghcr.io', 'acme/shop', env)).toBe('/cfg/buildx/config/ghcr.io/acme/shop');
    expect(scopeConfigDir('ghcr.io', 'acme/shop@push', env)).toBe(
      '/cfg/buildx/config/ghcr.io/acme/shop@push'
    );
    expect(scopeConfigDir('ghcr.io', '@push', env)).toBe('/cfg/buildx/config/ghcr.io@push');
    expect(scopeConfigDir('docker.io', 'a/b', env)).toBe('/cfg/buildx/config/registry-1.docker.io/a/b');
    expect(scopeConfigDir('ghcr.io', undefined, env)).toBeUndefined();
    expect(scopeConfigDir('ghcr.io', 'a/b', { ...env, DOCKER_LOGIN_SCOPE_DISABLED: 'true' })).toBeUndefined();
    expect(buildxConfigDir({ DOCKER_CONFIG: '/d' })).toBe('/d/buildx');
  });
});

describe('registry-auth', () => {
  it('reads a YAML list of logins; docker.io by default; ECR entries default to user AWS', () => {
    const logins = parseRegistryAuth(
      [
        '- registry: 127.0.0.1:5055',
        '  username: deploy',
        '  password: pw-one',
        '- username: hubuser',
        '  password: pw-two',
        '  scope: acme/app@push',
        '- registry: 210987654321.dkr.ecr.eu-central-1.amazonaws.com',
        '  password: ecr-token-from-aws-step'
      ].join('\n'),
      { BUILDX_CONFIG: '/bx' }
    );
    expect(logins).toEqual([
      {
        registry: '127.0.0.1:5055',
        username: 'deploy',
        password: 'pw-one',
        ecr: 'auto',
        scope: undefined,
        configDir: undefined
      },
      {
        registry: 'docker.io',
        username: 'hubuser',
        password: 'pw-two',
        ecr: 'auto',
        scope: 'acme/app@push',
        configDir: '/bx/config/registry-1.docker.io/acme/app@push'
      },
      {
        registry: '210987654321.dkr.ecr.eu-central-1.amazonaws.com',
        username: 'AWS',
        password: 'ecr-token-from-aws-step',
        ecr: 'auto',
        scope: undefined,
        configDir: undefined
      }
    ]);
  });

  it('refuses what is not a list of complete logins, naming registry-auth', () => {
    for (const [text, msg] of [
      ['registry: ghcr.io', /not a list of logins/],
      ['- registry: ghcr.io\n  username: a', /needs a password/],
      ['- registry: ghcr.io\n  user: a\n  password: b', /unknown key "user"/],
      ['- registry: "not a host/"\n  username: a\n  password: b', /Input 'registry-auth'/],
      ['- [', /is not YAML/],
      ['- registry: ghcr.io\n  username: a\n  password: b\n  ecr: maybe', /not auto, true or false/]
    ] as const) {
      expect(refusal(() => parseRegistryAuth(text)).input).toBe('registry-auth');
      expect(() => parseRegistryAuth(text)).toThrow(msg);
    }
  });

  it('cannot be combined with password, scope or ecr; every entry becomes a login and a credential', () => {
    const auths = parseRegistryAuth(
      '- registry: 127.0.0.1:5055\n  username: u1\n  password: p1\n- registry: 127.0.0.1:5056\n  username: u2\n  password: p2'
    );
    expect(refusal(() => planPublish({ ...base, registryAuth: auths, password: 'x' })).message).toMatch(
      /cannot be used with password/
    );
    expect(refusal(() => planPublish({ ...base, registryAuth: auths, scope: 'a/b' })).input).toBe(
      'registry-auth'
    );
    expect(refusal(() => planPublish({ ...base, registryAuth: auths, ecr: 'true' })).input).toBe(
      'registry-auth'
    );
    const plan = planPublish({ ...base, registryAuth: auths });
    expect(plan.loginOnly).toBe(true);
    expect(plan.logins.map((l) => l.registry)).toEqual(['127.0.0.1:5055', '127.0.0.1:5056']);
    expect(plan.credentials.get('127.0.0.1:5056')).toEqual({ username: 'u2', password: 'p2' });
    const copy = planPublish({
      ...base,
      registryAuth: auths,
      registry: '127.0.0.1:5055',
      source: `127.0.0.1:5056/a/b@${D}`,
      targets: ['a/b']
    });
    expect(copy.credentialSource.get('127.0.0.1:5056')).toBe('registry-auth (user u2)');
  });
});

describe('ecr on the single login', () => {
  const ecrHost = '123456789012.dkr.ecr.us-west-2.amazonaws.com';
  it('auto on an ECR host: user AWS by default, the password from the AWS step', () => {
    const plan = planPublish({ ...base, registry: ecrHost, username: '', password: 'token' });
    expect(plan.logins).toEqual([
      {
        registry: ecrHost,
        username: 'AWS',
        password: 'token',
        ecr: 'auto',
        scope: undefined,
        configDir: undefined
      }
    ]);
    expect(plan.credentialSource.get(ecrHost)).toBe('inputs username/password (user AWS, ECR)');
  });
  it('refuses an AWS access key id as user, and an ECR login with no password', () => {
    const e = refusal(() =>
      planPublish({ ...base, registry: ecrHost, username: 'AKIAIOSFODNN7EXAMPLE', password: 's' })
    );
    expect(e.input).toBe('ecr');
    expect(e.message).toMatch(/access key id; this action makes no AWS call/);
    expect(e.message).toMatch(/aws ecr get-login-password/);
    expect(refusal(() => planPublish({ ...base, registry: ecrHost, username: 'AWS' })).input).toBe(
      'password'
    );
  });
  it('false on an ECR host is a plain login; true forces the ECR flow on any host', () => {
    expect(
      planPublish({
        ...base,
        registry: ecrHost,
        username: 'AKIAIOSFODNN7EXAMPLE',
        password: 's',
        ecr: 'false'
      }).logins[0]!.username
    ).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(
      planPublish({ ...base, registry: '127.0.0.1:5055', username: '', password: 's', ecr: 'true' })
        .logins[0]!.username
    ).toBe('AWS');
  });
});

describe('the post step state', () => {
  it('round-trips every login with its config dir, and reads the older one-per-line form', () => {
    const list = [{ registry: 'a:1' }, { registry: 'b:2', configDir: '/x/y' }];
    expect(decodeLoginState(encodeLoginState(list))).toEqual(list);
    expect(decodeLoginState('a:1\nb:2\n')).toEqual([{ registry: 'a:1' }, { registry: 'b:2' }]);
    expect(decodeLoginState('')).toEqual([]);
  });
});
