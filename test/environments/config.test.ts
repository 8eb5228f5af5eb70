import {
  parseEnvironmentsFile,
  diffEnvironment,
  type CurrentEnvironment
} from '../../packages/environments/src/index.js';

const FILE = `
repository: acme/shop
environments:
  staging:
    branches: [main]
    variables: { DEPLOY_HOSTS: staging1.example.com }
    secrets: [SSH_KEY]
  production:
    wait-timer: 10
    prevent-self-review: true
    reviewers:
      - user: alice
      - team: acme/platform
    branches: [main]
    tags: ['v*']
    variables:
      DEPLOY_HOSTS: web1.example.com
      ENVIRONMENT_URL: https://shop.example.com
    secrets: [SSH_KEY, KNOWN_HOSTS]
`;

describe('environments.yml', () => {
  it('reads environments, reviewers, branch and tag policies, variables and required secret names', () => {
    const f = parseEnvironmentsFile(FILE);
    expect(f.repository).toBe('acme/shop');
    const prod = f.environments.find((e) => e.name === 'production')!;
    expect(prod).toEqual({
      name: 'production',
      waitTimer: 10,
      preventSelfReview: true,
      reviewers: [
        { type: 'User', login: 'alice' },
        { type: 'Team', org: 'acme', slug: 'platform' }
      ],
      branchPolicy: { custom: { branches: ['main'], tags: ['v*'] } },
      variables: { DEPLOY_HOSTS: 'web1.example.com', ENVIRONMENT_URL: 'https://shop.example.com' },
      secrets: ['SSH_KEY', 'KNOWN_HOSTS']
    });
  });

  it.each([
    ['environments:\n  prod:\n    wait-timer: -1\n', /environments\.prod\.wait-timer.*0 to 43200/],
    ['environments:\n  prod:\n    waittimer: 5\n', /environments\.prod\.waittimer': is not a known key/],
    [
      'environments:\n  prod:\n    reviewers: [{ group: x }]\n',
      /neither \{ user: login \} nor \{ team: org\/slug \}/
    ],
    ['environments:\n  prod:\n    protected-branches: true\n    branches: [main]\n', /choose one of them/],
    ['environments:\n  prod:\n    variables: { GITHUB_X: 1 }\n', /not a valid variable name/],
    ['repository: shop\nenvironments: {}\n', /is not owner\/name/],
    ['environments: [prod]\n', /must be a map/]
  ])('refuses %j naming the key and the fix', (text, message) => {
    expect(() => parseEnvironmentsFile(text)).toThrow(message);
  });
});

describe('the diff', () => {
  const absent: CurrentEnvironment = {
    exists: false,
    waitTimer: 0,
    preventSelfReview: false,
    reviewers: [],
    branchPolicy: null,
    policies: [],
    variables: {},
    secrets: []
  };

  it('creates a missing environment with its policies and variables, and reports missing secrets', () => {
    const prod = parseEnvironmentsFile(FILE).environments[1]!;
    const reviewers = [
      { type: 'User' as const, id: 1, name: 'alice' },
      { type: 'Team' as const, id: 7, name: 'acme/platform' }
    ];
    const d = diffEnvironment(prod, absent, reviewers, false);
    expect(d.changes[0]).toMatchObject({
      kind: 'environment',
      action: 'create',
      body: {
        wait_timer: 10,
        prevent_self_review: true,
        reviewers: [
          { type: 'User', id: 1 },
          { type: 'Team', id: 7 }
        ],
        deployment_branch_policy: { protected_branches: false, custom_branch_policies: true }
      }
    });
    expect(d.changes.filter((c) => c.kind === 'policy').map((c) => [c.name, c.type])).toEqual([
      ['main', 'branch'],
      ['v*', 'tag']
    ]);
    expect(d.changes.filter((c) => c.kind === 'variable').map((c) => c.name)).toEqual([
      'DEPLOY_HOSTS',
      'ENVIRONMENT_URL'
    ]);
    expect(d.missingSecrets).toEqual(['SSH_KEY', 'KNOWN_HOSTS']);
  });

  it('finds nothing to do when GitHub already matches, and keeps unmanaged variables unless pruning', () => {
    const staging = parseEnvironmentsFile(FILE).environments[0]!;
    const current: CurrentEnvironment = {
      ...absent,
      exists: true,
      branchPolicy: { custom: { branches: ['main'], tags: [] } },
      policies: [{ id: 3, name: 'main', type: 'branch' }],
      variables: { DEPLOY_HOSTS: 'staging1.example.com', OLD: 'x' },
      secrets: ['SSH_KEY']
    };
    expect(diffEnvironment(staging, current, [], false)).toEqual({
      changes: [],
      missingSecrets: [],
      unmanaged: ['OLD']
    });
    expect(diffEnvironment(staging, current, [], true).changes).toEqual([
      { kind: 'variable', env: 'staging', action: 'delete', name: 'OLD' }
    ]);
  });
});
