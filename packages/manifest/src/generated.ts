// Generated from manifest.yml by `npm run catalog`. Do not edit: change manifest.yml and regenerate.

/** Inputs shared by several actions, declared once (unprefixed names). */
export const GROUPS = {
  ssh: {
    host: { default: '', required: true },
    port: { default: '22', required: false },
    user: { default: 'root', required: false },
    'ssh-key': { default: '', required: true },
    'known-hosts': { default: '', required: false },
    'host-fingerprint': { default: '', required: false },
    'jump-host': { default: '', required: false }
  },
  app: {
    app: { default: '', required: true },
    environment: { default: 'production', required: false }
  },
  'release-host': {
    'public-port': { default: '', required: false },
    'slot-ports': { default: '', required: false },
    'port-variable': { default: 'PORT', required: false },
    'proxy-bind': { default: '0.0.0.0', required: false },
    'public-hostnames': { default: '', required: false },
    'front-door-ports': { default: '80,443', required: false },
    'proxy-trusted': { default: '', required: false },
    'proxy-max-body-size': { default: '100m', required: false },
    'proxy-read-timeout': { default: '300s', required: false },
    'proxy-buffering': { default: 'false', required: false },
    'proxy-access-log': { default: 'true', required: false },
    'state-dir': { default: '/var/lib/deploy-actions', required: false },
    'metrics-dir': { default: '', required: false },
    'lock-timeout': { default: '5m', required: false },
    'lock-stale-after': { default: '2m', required: false },
    'break-lock': { default: 'false', required: false },
    'start-timeout': { default: '60s', required: false },
    'drain-timeout': { default: '5s', required: false }
  },
  events: {
    'webhook-url': { default: '', required: false },
    'webhook-secret': { default: '', required: false },
    token: { default: '', required: false }
  },
  health: {
    url: { default: '', required: false },
    'expect-status': { default: '200-399', required: false },
    'expect-body': { default: '', required: false },
    'expect-json': { default: '', required: false },
    headers: { default: '', required: false },
    'max-latency': { default: '', required: false },
    'probe-timeout': { default: '5s', required: false },
    interval: { default: '2s', required: false },
    'initial-delay': { default: '0s', required: false },
    timeout: { default: '2m', required: false },
    'success-threshold': { default: '3', required: false },
    'failure-threshold': { default: '3', required: false },
    'prometheus-url': { default: '', required: false },
    'prometheus-query': { default: '', required: false },
    'prometheus-headers': { default: '', required: false },
    'no-data': { default: 'fail', required: false },
    container: { default: '', required: false },
    'ca-cert': { default: '', required: false },
    'insecure-skip-tls-verify': { default: 'false', required: false },
    mode: { default: 'threshold', required: false },
    window: { default: '1m', required: false },
    'min-success-rate': { default: '', required: false },
    'max-error-rate': { default: '', required: false },
    'max-p95-latency': { default: '', required: false },
    'max-p99-latency': { default: '', required: false }
  }
} as const;

/** A group's inputs under `prefix`; each defaults to '' there (its reader falls back to the group's default). */
function prefixed<G extends Record<string, { required: boolean }>, P extends string>(group: G, prefix: P) {
  return Object.fromEntries(
    Object.entries(group).map(([name, spec]) => [prefix + name, { default: '', required: spec.required }])
  ) as {
    readonly [K in keyof G & string as `${P}${K}`]: {
      readonly default: '';
      readonly required: G[K]['required'];
    };
  };
}

/** Every action's inputs, as its action.yml declares them (a group's inputs where it stands). */
export const INPUTS = {
  'tag-release': {
    token: { default: '${{ github.token }}', required: false },
    'tag-prefix': { default: 'v', required: false },
    'initial-version': { default: '1.0.0', required: false },
    'release-as': { default: '', required: false },
    prerelease: { default: '', required: false },
    'floating-tags': { default: 'none', required: false },
    'create-release': { default: 'true', required: false },
    draft: { default: 'false', required: false },
    'dry-run': { default: 'false', required: false },
    target: { default: 'HEAD', required: false },
    'working-directory': { default: '.', required: false }
  },
  'build-image': {
    context: { default: '.', required: false },
    file: { default: '', required: false },
    images: { default: '', required: false },
    tags: { default: '', required: false },
    flavor: { default: 'latest=auto', required: false },
    labels: { default: '', required: false },
    annotations: { default: '', required: false },
    'sep-tags': { default: '', required: false },
    'sep-labels': { default: '', required: false },
    'sep-annotations': { default: '', required: false },
    'bake-target': { default: 'docker-metadata-action', required: false },
    'build-args': { default: '', required: false },
    target: { default: '', required: false },
    platforms: { default: '', required: false },
    push: { default: 'false', required: false },
    'cache-from': { default: '', required: false },
    'cache-to': { default: '', required: false },
    secrets: { default: '', required: false },
    'secret-files': { default: '', required: false },
    'secret-envs': { default: '', required: false },
    provenance: { default: '', required: false },
    sbom: { default: '', required: false },
    builder: { default: 'auto', required: false },
    'no-cache': { default: 'false', required: false },
    pull: { default: 'false', required: false },
    load: { default: '', required: false },
    'add-hosts': { default: '', required: false },
    allow: { default: '', required: false },
    attests: { default: '', required: false },
    'build-contexts': { default: '', required: false },
    call: { default: '', required: false },
    'cgroup-parent': { default: '', required: false },
    network: { default: '', required: false },
    'no-cache-filters': { default: '', required: false },
    outputs: { default: '', required: false },
    'shm-size': { default: '', required: false },
    ssh: { default: '', required: false },
    ulimit: { default: '', required: false },
    'github-token': { default: '${{ github.token }}', required: false }
  },
  'publish-registry': {
    registry: { default: 'ghcr.io', required: false },
    username: { default: '${{ github.actor }}', required: false },
    password: { default: '', required: false },
    'github-token': { default: '${{ github.token }}', required: false },
    source: { default: '', required: false },
    'source-username': { default: '', required: false },
    'source-password': { default: '', required: false },
    targets: { default: '', required: false },
    tags: { default: '', required: false },
    'docker-login': { default: 'true', required: false },
    logout: { default: 'true', required: false },
    'registry-auth': { default: '', required: false },
    scope: { default: '', required: false },
    ecr: { default: 'auto', required: false },
    retries: { default: '5', required: false }
  },
  'scan-gate': {
    report: { default: '', required: false },
    digest: { default: '', required: false },
    'allow-unidentified': { default: 'false', required: false },
    'fail-on': { default: 'HIGH,CRITICAL', required: false },
    'only-fixable': { default: 'false', required: false },
    exceptions: { default: '', required: false },
    'new-only': { default: 'false', required: false },
    'baseline-report': { default: '', required: false },
    'baseline-digest': { default: '', required: false },
    'registry-image': { default: '', required: false },
    'registry-username': { default: '', required: false },
    'registry-password': { default: '', required: false },
    'fail-step': { default: 'true', required: false }
  },
  'run-migrations': {
    'database-url': { default: '', required: false },
    dir: { default: 'migrations', required: false },
    mode: { default: 'apply', required: false },
    target: { default: '', required: false },
    baseline: { default: '', required: false },
    command: { default: '', required: false },
    host: { default: '', required: false },
    port: { default: '22', required: false },
    user: { default: 'root', required: false },
    'ssh-key': { default: '', required: false },
    'known-hosts': { default: '', required: false },
    'command-timeout': { default: '30m', required: false },
    backup: { default: 'false', required: false },
    'pg-dump': { default: '', required: false },
    'pg-dump-image': { default: 'postgres:{major}', required: false },
    'lock-timeout': { default: '5m', required: false },
    'statement-timeout': { default: '0s', required: false },
    'allow-out-of-order': { default: 'false', required: false },
    'history-table': { default: 'deploy_actions_migrations', required: false },
    app: { default: '', required: false },
    environment: { default: '', required: false },
    'webhook-url': { default: '', required: false },
    'webhook-secret': { default: '', required: false }
  },
  'deploy-compose': {
    ...GROUPS['ssh'],
    ...GROUPS['app'],
    'compose-file': { default: 'compose.yml', required: false },
    'tls-certificate': { default: '', required: false },
    'tls-key': { default: '', required: false },
    'web-service': { default: '', required: false },
    'app-port': { default: '', required: false },
    'data-paths': { default: '', required: false },
    'env-file': { default: '', required: false },
    'env-template': { default: '', required: false },
    images: { default: '', required: false },
    accessories: { default: '', required: false },
    version: { default: '', required: false },
    strategy: { default: 'recreate', required: false },
    'canary-steps': { default: '10,50,100', required: false },
    'canary-step-duration': { default: '2m', required: false },
    doctor: { default: 'false', required: false },
    registry: { default: '', required: false },
    username: { default: '', required: false },
    password: { default: '', required: false },
    'image-check': { default: 'registry', required: false },
    'keep-releases': { default: '5', required: false },
    timeout: { default: '15m', required: false },
    'auto-rollback': { default: 'true', required: false },
    'migrate-command': { default: '', required: false },
    'migrate-service': { default: '', required: false },
    'migrate-timeout': { default: '10m', required: false },
    'scan-report': { default: '', required: false },
    'scan-verdict': { default: '', required: false },
    ...GROUPS['release-host'],
    ...GROUPS['events'],
    'notify-format': { default: 'json', required: false },
    critical: { default: 'false', required: false },
    ...prefixed(GROUPS['health'], 'health-')
  },
  'health-gate': {
    ...GROUPS['health'],
    'fail-on-unhealthy': { default: 'true', required: false }
  },
  rollback: {
    ...GROUPS['ssh'],
    ...GROUPS['app'],
    to: { default: '', required: false },
    'dry-run': { default: 'false', required: false },
    reason: { default: 'manual rollback', required: false },
    drill: { default: 'false', required: false },
    registry: { default: '', required: false },
    username: { default: '', required: false },
    password: { default: '', required: false },
    timeout: { default: '10m', required: false },
    ...GROUPS['release-host'],
    ...GROUPS['events'],
    'notify-format': { default: 'json', required: false },
    critical: { default: 'false', required: false },
    ...prefixed(GROUPS['health'], 'health-')
  },
  'anonymize-data': {
    'source-url': { default: '', required: false },
    'target-url': { default: '', required: false },
    rules: { default: 'anonymize.yml', required: false },
    salt: { default: '', required: true },
    schemas: { default: 'public', required: false },
    'target-environment': { default: '', required: false },
    'environments-file': { default: 'environments.yml', required: false },
    'leak-sample': { default: '100', required: false },
    'pg-dump': { default: '', required: false },
    'evidence-file': { default: '', required: false }
  },
  'delivery-report': {
    host: { default: '', required: true },
    port: { default: '22', required: false },
    user: { default: 'root', required: false },
    'ssh-key': { default: '', required: true },
    'known-hosts': { default: '', required: true },
    app: { default: '', required: true },
    environment: { default: 'production', required: false },
    'state-dir': { default: '/var/lib/deploy-actions', required: false },
    'repository-path': { default: '', required: false },
    'incident-window': { default: '24h', required: false },
    since: { default: '', required: false },
    'database-url': { default: '', required: false },
    'history-table': { default: 'deploy_actions_migrations', required: false }
  }
} as const;

/** Every action's output names. */
export const OUTPUTS = {
  'tag-release': ['version', 'previous-version', 'tag', 'bump', 'released', 'changelog', 'release-url'],
  'build-image': [
    'image-id',
    'imageid',
    'digest',
    'tags',
    'tag-names',
    'labels',
    'annotations',
    'json',
    'bake-file-tags',
    'bake-file-labels',
    'bake-file-annotations',
    'bake-file',
    'version',
    'metadata',
    'builder'
  ],
  'publish-registry': ['digest', 'refs', 'platforms'],
  'scan-gate': [
    'verdict',
    'stored',
    'reason',
    'counts',
    'blocking-count',
    'new-findings',
    'exceptions-used',
    'exceptions-expired',
    'exceptions-unused',
    'report-file',
    'report-digest',
    'record',
    'evidence-file'
  ],
  'run-migrations': [
    'applied',
    'reverted',
    'retried',
    'pending',
    'current-version',
    'backup-path',
    'evidence'
  ],
  'deploy-compose': [
    'doctor',
    'release-id',
    'previous-release-id',
    'url',
    'digests',
    'rolled-back',
    'duration-ms'
  ],
  'health-gate': ['verdict', 'reason', 'probes', 'failures', 'p50-ms', 'p95-ms', 'evidence', 'evidence-file'],
  rollback: ['release-id', 'from-release-id', 'rolled-back', 'drill-seconds'],
  'anonymize-data': ['rows', 'rules-checksum', 'masked-columns', 'evidence'],
  'delivery-report': ['report', 'change-failure-rate']
} as const;

/** The values of every choice input (manifest.yml `options:`), by action and input name as the action.yml names it. */
export const CHOICES = {
  'tag-release': {
    'floating-tags': ['major', 'major-minor', 'none']
  },
  'build-image': {},
  'publish-registry': {},
  'scan-gate': {},
  'run-migrations': {
    mode: ['apply', 'plan', 'down', 'status', 'repair']
  },
  'deploy-compose': {
    strategy: ['recreate', 'rolling', 'blue-green', 'canary', 'swarm'],
    doctor: ['false', 'true', 'only'],
    'image-check': ['registry', 'pull', 'none'],
    'notify-format': ['json', 'slack', 'teams', 'discord'],
    'health-no-data': ['fail', 'pass'],
    'health-mode': ['threshold', 'soak']
  },
  'health-gate': {
    'no-data': ['fail', 'pass'],
    mode: ['threshold', 'soak']
  },
  rollback: {
    'notify-format': ['json', 'slack', 'teams', 'discord'],
    'health-no-data': ['fail', 'pass'],
    'health-mode': ['threshold', 'soak']
  },
  'anonymize-data': {},
  'delivery-report': {}
} as const;
