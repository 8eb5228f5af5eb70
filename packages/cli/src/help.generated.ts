// Generated from manifest.yml by `npm run catalog`. Do not edit: change manifest.yml and regenerate.
import type { ActionHelp } from './help.js';

export const ACTION_HELP: readonly ActionHelp[] = [
  {
    id: 'tag-release',
    description:
      'Compute the next semantic version from Conventional Commits, write the changelog, create an annotated tag and a GitHub release, and move floating tags such as v1.',
    inputs: [
      {
        name: 'token',
        description:
          'Token for the GitHub API (needs `contents: write`). Tags and releases made with the workflow GITHUB_TOKEN do not start other workflows: pass a GitHub App token or a PAT when a tag should trigger one.',
        required: false,
        default: '${{ github.token }}'
      },
      {
        name: 'tag-prefix',
        description:
          'Prefix of release tags: `v` gives `v1.2.3`. Tags with the prefix that are not `<prefix><semver>` are ignored with a notice.',
        required: false,
        default: 'v'
      },
      {
        name: 'initial-version',
        description: 'The version of the first release, when no release tag is reachable from the target.',
        required: false,
        default: '1.0.0'
      },
      {
        name: 'release-as',
        description:
          'Release exactly this version (without the prefix, e.g. `2.0.0`) instead of the computed one.',
        required: false,
        default: ''
      },
      {
        name: 'prerelease',
        description:
          'Prerelease channel, e.g. `rc`: releases count up as `1.3.0-rc.0`, `1.3.0-rc.1`. Empty: a final release.',
        required: false,
        default: ''
      },
      {
        name: 'floating-tags',
        description:
          'Floating tags moved to a final release: `major` (`v1`), `major-minor` (`v1` and `v1.2`) or `none`.',
        required: false,
        default: 'none'
      },
      {
        name: 'create-release',
        description: 'Create a GitHub release for the tag, with the changelog as notes.',
        required: false,
        default: 'true'
      },
      {
        name: 'draft',
        description: 'Create the release as a draft.',
        required: false,
        default: 'false'
      },
      {
        name: 'dry-run',
        description: 'Compute the version and changelog and print them; create nothing and make no API call.',
        required: false,
        default: 'false'
      },
      {
        name: 'target',
        description: 'The commit to release: a SHA, branch or tag in the checkout.',
        required: false,
        default: 'HEAD'
      },
      {
        name: 'working-directory',
        description: 'The git checkout (with full history: `actions/checkout` with `fetch-depth: 0`).',
        required: false,
        default: '.'
      }
    ],
    outputs: [
      {
        name: 'version',
        description:
          'The new version without the prefix (e.g. `1.3.0`); the current version when nothing was released.'
      },
      {
        name: 'previous-version',
        description:
          'The version the changelog starts from (the last final release, or the last prerelease of a channel).'
      },
      {
        name: 'tag',
        description: 'The new tag, e.g. `v1.3.0` (the current one when nothing was released).'
      },
      {
        name: 'bump',
        description: '`major`, `minor`, `patch` or `none`.'
      },
      {
        name: 'released',
        description: '`true` when a new version was released (or, in a dry run, would be).'
      },
      {
        name: 'changelog',
        description: 'The changelog of the release in markdown.'
      },
      {
        name: 'release-url',
        description:
          'The URL of the GitHub release (empty in a dry run, without create-release, or when nothing was released).'
      }
    ]
  },
  {
    id: 'build-image',
    description:
      'Build a container image once, with docker/metadata-action-style tags and OCI labels, using buildx when installed and the classic builder otherwise (refusing what only buildx can do).',
    inputs: [
      {
        name: 'context',
        description: 'Build context directory.',
        required: false,
        default: '.'
      },
      {
        name: 'file',
        description: 'Path to the Dockerfile (default: <context>/Dockerfile).',
        required: false,
        default: ''
      },
      {
        name: 'images',
        description:
          'Image repositories to tag, one per line or comma-separated (e.g. `ghcr.io/acme/shop`). Empty: the image is built untagged.',
        required: false,
        default: ''
      },
      {
        name: 'tags',
        description:
          'Tag rules as in docker/metadata-action, one per line: `type=semver,pattern={{version}}`, `type=semver,pattern={{major}}.{{minor}}`, `type=sha` (`format=long`), `type=ref,event=branch|tag|pr`, `type=raw,value=…`, `type=schedule`, `type=edge`, `type=match`; attributes prefix=, suffix=, enable=, priority=. Empty: schedule, branch, tag and pr rules.',
        required: false,
        default: ''
      },
      {
        name: 'flavor',
        description:
          'Global tag flavor as in docker/metadata-action, one per line: `latest=auto|true|false`, `prefix=…`, `suffix=…`. latest=auto adds `latest` on a non-prerelease tag push that is the highest version among the git tags.',
        required: false,
        default: 'latest=auto'
      },
      {
        name: 'labels',
        description: 'Extra labels, key=value per line; they override the generated OCI labels.',
        required: false,
        default: ''
      },
      {
        name: 'build-args',
        description:
          'Build arguments, key=value per line (visible in the image history: never pass secrets here).',
        required: false,
        default: ''
      },
      {
        name: 'target',
        description: 'Target stage of a multi-stage Dockerfile.',
        required: false,
        default: ''
      },
      {
        name: 'platforms',
        description:
          "Target platforms, e.g. `linux/amd64,linux/arm64`. More than one, or one other than the daemon's, needs buildx.",
        required: false,
        default: ''
      },
      {
        name: 'push',
        description: 'Push every tag after the build.',
        required: false,
        default: 'false'
      },
      {
        name: 'cache-from',
        description:
          'Cache sources, one per line (buildx: `type=gha`, `type=registry,ref=…`; classic: an image name only).',
        required: false,
        default: ''
      },
      {
        name: 'cache-to',
        description: 'Cache exports, one per line (buildx only), e.g. `type=gha,mode=max`.',
        required: false,
        default: ''
      },
      {
        name: 'secrets',
        description:
          'Build secrets (buildx only), `id=value` per line; values are masked and reach the build through 0600 files, never argv.',
        required: false,
        default: ''
      },
      {
        name: 'secret-files',
        description: 'Build secrets from files (buildx only), `id=path` per line.',
        required: false,
        default: ''
      },
      {
        name: 'secret-envs',
        description: 'Build secrets from environment variables (buildx only), `id=VARIABLE` per line.',
        required: false,
        default: ''
      },
      {
        name: 'provenance',
        description:
          "Provenance attestation (buildx only): `false`, `true`, `mode=min` or `mode=max`. Empty: the builder's default.",
        required: false,
        default: ''
      },
      {
        name: 'sbom',
        description: "SBOM attestation (buildx only): `true` or `false`. Empty: the builder's default.",
        required: false,
        default: ''
      },
      {
        name: 'builder',
        description:
          'Which builder to use: `auto` (buildx when installed, else classic), `buildx` or `classic`.',
        required: false,
        default: 'auto'
      },
      {
        name: 'no-cache',
        description: 'Build without using the cache.',
        required: false,
        default: 'false'
      },
      {
        name: 'pull',
        description: 'Always try to pull newer versions of the base images.',
        required: false,
        default: 'false'
      }
    ],
    outputs: [
      {
        name: 'image-id',
        description: 'Image ID (config digest) of the built image.'
      },
      {
        name: 'digest',
        description: 'Manifest digest of the pushed image (empty when not pushed).'
      },
      {
        name: 'tags',
        description: 'The full image references tagged, one per line.'
      },
      {
        name: 'labels',
        description: 'The labels applied, key=value per line.'
      },
      {
        name: 'version',
        description: 'The version the tag rules produced (the first tag by priority, as metadata-action).'
      },
      {
        name: 'metadata',
        description: 'JSON: builder, imageId, digest, version, tags, labels, pushed.'
      },
      {
        name: 'builder',
        description: 'Which builder ran: buildx or classic.'
      }
    ]
  },
  {
    id: 'publish-registry',
    description:
      'Log in to a registry and promote an image by digest to one or more repositories or registries through the Registry HTTP API v2, with no docker daemon and no re-upload, verified at the target.',
    inputs: [
      {
        name: 'registry',
        description:
          'Registry host[:port] the username and password are for; targets written without a host go here. E.g. `ghcr.io`, `docker.io`, `registry.example.com:5000`.',
        required: false,
        default: 'ghcr.io'
      },
      {
        name: 'username',
        description: 'User for `registry`. For ghcr.io the workflow actor works with the workflow token.',
        required: false,
        default: '${{ github.actor }}'
      },
      {
        name: 'password',
        description:
          'Password or token for `registry` (masked; sent on stdin to docker and in an Authorization header to the API, never in argv). Empty on ghcr.io: the workflow token (`github-token`).',
        required: false,
        default: ''
      },
      {
        name: 'github-token',
        description:
          'Token used for ghcr.io when `password` is empty; the job needs `permissions: packages: write`.',
        required: false,
        default: '${{ github.token }}'
      },
      {
        name: 'source',
        description:
          'The image to publish: a remote reference with its registry host (`host/repo:tag` or `host/repo@sha256:…`; Docker Hub as `docker.io/…`), or a local image (no host, e.g. `shop:1.2.3`), which is pushed with docker to the first target. Empty together with `targets`: the step only logs in.',
        required: false,
        default: ''
      },
      {
        name: 'source-username',
        description:
          'User for the source registry when it is not `registry` (else docker config.json, else anonymous).',
        required: false,
        default: ''
      },
      {
        name: 'source-password',
        description: 'Password for the source registry when it is not `registry` (masked).',
        required: false,
        default: ''
      },
      {
        name: 'targets',
        description:
          'Target references, one per line or comma-separated: `host/repo[:tag]` or `repo[:tag]` (then on `registry`). Other registries take their credentials from docker config.json. Empty together with `source`: log in only.',
        required: false,
        default: ''
      },
      {
        name: 'tags',
        description:
          "Tags to put on every target, one per line or comma-separated. Empty: each target's own tag, else the source tag; the digest is always written.",
        required: false,
        default: ''
      },
      {
        name: 'docker-login',
        description:
          'Also run `docker login` (password on stdin) so later steps can pull and push with docker. Skipped with a warning when docker is absent.',
        required: false,
        default: 'true'
      },
      {
        name: 'logout',
        description: 'Run `docker logout` in the post step for a `docker login` this step made.',
        required: false,
        default: 'true'
      },
      {
        name: 'retries',
        description: 'Retries per request on 429 (Retry-After honoured), 5xx and network errors.',
        required: false,
        default: '5'
      }
    ],
    outputs: [
      {
        name: 'digest',
        description: 'The manifest digest published, equal at the source and every target.'
      },
      {
        name: 'refs',
        description: 'JSON list of the references written (every tag and every @digest).'
      },
      {
        name: 'platforms',
        description: 'JSON list of the platforms of a multi-platform image (empty for a single-platform one).'
      }
    ]
  },
  {
    id: 'run-migrations',
    description:
      'Apply PostgreSQL schema migrations safely in the deploy chain: pre-flight checks, one run at a time, each file in its own transaction, an optional pg_dump backup, a dry-run plan, down/repair, and evidence of what ran.',
    inputs: [
      {
        name: 'database-url',
        description:
          'PostgreSQL URL `postgres://user:password@host:5432/db` (masked; pass it from a secret). When empty, the DATABASE_URL environment variable is used.',
        required: false,
        default: ''
      },
      {
        name: 'dir',
        description:
          'Folder of migration files, relative to the workspace: `V<version>__<name>.sql` (+ `U<version>__<name>.sql` down) or golang-migrate `<version>_<name>.up.sql` / `.down.sql`.',
        required: false,
        default: 'migrations'
      },
      {
        name: 'mode',
        description:
          '`apply` (run pending files), `plan` (list them with their SQL, change nothing), `down` (walk back to `target` with down files), `status` (report), `repair` (clear a recorded failure, realign checksums).',
        required: false,
        default: 'apply'
      },
      {
        name: 'target',
        description:
          'A version. apply: stop after this version. down: walk back to it (it stays applied); `0` reverts everything. Required for down.',
        required: false,
        default: ''
      },
      {
        name: 'baseline',
        description:
          'Adopt a database another tool (golang-migrate, Flyway, a person) already migrated: while the history table is empty, record every file up to this version as applied without running it. Without it, such a database is refused.',
        required: false,
        default: ''
      },
      {
        name: 'command',
        description:
          'Run the app\'s own migration tool instead of SQL files, as argv (no shell): words with quotes, or a JSON array like `["npm", "run", "migrate"]`. It gets DATABASE_URL in its environment and runs under the lock, after the backup.',
        required: false,
        default: ''
      },
      {
        name: 'command-timeout',
        description: 'Stop `command` after this long (`30m`, `90s`).',
        required: false,
        default: '30m'
      },
      {
        name: 'backup',
        description:
          '`true` for a pg_dump (custom format, file mode 0600) in RUNNER_TEMP before the first change, or a file path for it; `false` for none. Its path is the `backup-path` output.',
        required: false,
        default: 'false'
      },
      {
        name: 'pg-dump',
        description:
          'The folder holding pg_dump, or its path (default: pg_dump on PATH). It must be at least as new as the server.',
        required: false,
        default: ''
      },
      {
        name: 'lock-timeout',
        description:
          'How long to wait for another run of this action on the same database (PostgreSQL advisory lock) before failing and naming the holder.',
        required: false,
        default: '5m'
      },
      {
        name: 'statement-timeout',
        description: 'PostgreSQL statement_timeout for every statement (`30s`, `5m`); `0s` for none.',
        required: false,
        default: '0s'
      },
      {
        name: 'allow-out-of-order',
        description:
          'Apply pending files whose version is older than the current version (after merging branches). Refused by default.',
        required: false,
        default: 'false'
      },
      {
        name: 'history-table',
        description: 'The history table, `table` or `schema.table`; created on the first run.',
        required: false,
        default: 'deploy_actions_migrations'
      },
      {
        name: 'app',
        description: 'The app named in the `migration.applied` events (default: the repository name).',
        required: false,
        default: ''
      },
      {
        name: 'environment',
        description: 'The environment named in the `migration.applied` events, e.g. `production`.',
        required: false,
        default: ''
      },
      {
        name: 'webhook-url',
        description:
          'POST each `migration.applied` event here as JSON (optional). A delivery failure is a warning, not a failed step.',
        required: false,
        default: ''
      },
      {
        name: 'webhook-secret',
        description:
          'HMAC-SHA256 key to sign webhook bodies (`X-Deploy-Actions-Signature-256`, as GitHub signs its webhooks). Masked.',
        required: false,
        default: ''
      }
    ],
    outputs: [
      {
        name: 'applied',
        description: 'JSON list of the versions this run applied, in order, e.g. `["3","4"]`.'
      },
      {
        name: 'reverted',
        description: 'JSON list of the versions this run reverted (mode down), newest first.'
      },
      {
        name: 'pending',
        description: 'JSON list of the versions still pending after the run.'
      },
      {
        name: 'current-version',
        description: 'The highest applied version after the run (empty when none).'
      },
      {
        name: 'backup-path',
        description: 'Path of the pg_dump file taken before the first change (empty when none was taken).'
      },
      {
        name: 'evidence',
        description:
          'JSON: mode, outcome, server version, lock, each file applied (version, file, sha256, execution, duration), plan, status, failure with file and line, backup, events.'
      }
    ]
  },
  {
    id: 'deploy-compose',
    description:
      'Ship a compose release to Docker hosts over SSH with pinned host keys: recreate, blue-green or rolling behind an nginx proxy, gated by health checks, rolled back automatically.',
    inputs: [
      {
        name: 'host',
        description:
          'Hosts to deploy to, one per line (`host` or `host:port`). With several, `rolling` and `recreate` go one host at a time and stop at the first failure; `blue-green` readies every host before switching any.',
        required: true,
        default: ''
      },
      {
        name: 'port',
        description: 'SSH port of the hosts (a `host:port` line overrides it).',
        required: false,
        default: '22'
      },
      {
        name: 'user',
        description: 'SSH user. It must be able to run docker and write `state-dir`.',
        required: false,
        default: 'root'
      },
      {
        name: 'ssh-key',
        description:
          'Private key for SSH (OpenSSH or PEM text), e.g. from the secret DEPLOY_SSH_KEY. Written 0600 to a private temp dir, removed at the end; masked in logs.',
        required: true,
        default: ''
      },
      {
        name: 'known-hosts',
        description:
          'known_hosts lines for the host (and the jump host), e.g. the output of `ssh-keyscan -p 22 host` taken on a trusted machine. Unknown and changed host keys are always refused. One of known-hosts or host-fingerprint is required.',
        required: false,
        default: ''
      },
      {
        name: 'host-fingerprint',
        description:
          'Pinned host key fingerprints instead of known-hosts: `SHA256:…` values (as `ssh-keygen -lf` prints them), one per line, of any key type the host offers. Checked against `ssh-keyscan`; a mismatch is refused, naming what the host offered.',
        required: false,
        default: ''
      },
      {
        name: 'jump-host',
        description:
          'Reach the host through this bastion: `[user@]host[:port]` (ssh -J). Its key must be in known-hosts too.',
        required: false,
        default: ''
      },
      {
        name: 'app',
        description:
          'Application name (lowercase letters, digits, `-`, `_`): the directory under state-dir and the compose project prefix.',
        required: true,
        default: ''
      },
      {
        name: 'environment',
        description:
          'Environment name (e.g. `production`): one app has separate releases, lock and proxy per environment.',
        required: false,
        default: 'production'
      },
      {
        name: 'compose-file',
        description:
          'Path (in the workspace) of the compose file to deploy. It is copied into the release directory as compose.yml; other files it references must already be on the host.',
        required: false,
        default: 'compose.yml'
      },
      {
        name: 'env-file',
        description:
          'Path of a dotenv file copied to the release as `.env` (0600), e.g. written by an earlier step from secrets. Compose reads it for interpolation; give services `env_file: .env` to pass it in. Values are masked.',
        required: false,
        default: ''
      },
      {
        name: 'env-template',
        description:
          'Path of a template such as `.env.example`: every key in it must be in env-file, checked before the host is touched.',
        required: false,
        default: ''
      },
      {
        name: 'images',
        description:
          'Images per service, `service=reference` one per line, pinned by digest when known (`web=ghcr.io/o/shop@sha256:…`). Services not listed keep the compose files `image:`. Every image is pulled on the host and the release pins the pulled digests.',
        required: false,
        default: ''
      },
      {
        name: 'version',
        description:
          'Version label of the release (shown in history, events, rollback). Default: the short commit SHA.',
        required: false,
        default: ''
      },
      {
        name: 'strategy',
        description:
          '`recreate` (compose up -d in place; may drop requests), `blue-green` (start beside the old release, check, switch the proxy on every host at once, drain, stop the old) or `rolling` (the same, one host at a time).',
        required: false,
        default: 'recreate'
      },
      {
        name: 'registry',
        description: 'Registry to log in to on the host (`docker login --password-stdin`), e.g. `ghcr.io`.',
        required: false,
        default: ''
      },
      {
        name: 'username',
        description: 'Registry user name.',
        required: false,
        default: ''
      },
      {
        name: 'password',
        description: 'Registry password or token (sent on stdin, masked).',
        required: false,
        default: ''
      },
      {
        name: 'image-check',
        description:
          'How images are checked before the host is touched: `registry` (a manifest HEAD from the runner, with the registry login), `pull` (only the pull on the host, which still happens before anything is stopped) or `none`.',
        required: false,
        default: 'registry'
      },
      {
        name: 'keep-releases',
        description:
          'Releases kept on the host (with their images); older ones and images no kept release uses are removed. The serving and previous releases are always kept.',
        required: false,
        default: '5'
      },
      {
        name: 'timeout',
        description:
          'Bound of the whole deploy (gate and automatic rollback included); every steps timeout is cut to what is left and a timeout names its step.',
        required: false,
        default: '15m'
      },
      {
        name: 'auto-rollback',
        description:
          'When the new release fails after traffic moved (gate failed, connection lost), switch back to the previous release, gate it, and fail the step.',
        required: false,
        default: 'true'
      },
      {
        name: 'public-port',
        description:
          'The port users reach. `recreate`: the app listens on it directly (set in `port-variable`). `blue-green`/`rolling`: the proxy (nginx on the host) listens on it and forwards to the active slot. Required for blue-green and rolling.',
        required: false,
        default: ''
      },
      {
        name: 'slot-ports',
        description:
          'The two slot ports for blue-green/rolling, `blue,green` (default public-port+1, public-port+2). The app listens on the slot port given in `port-variable`.',
        required: false,
        default: ''
      },
      {
        name: 'port-variable',
        description:
          'Environment variable the action sets for `docker compose` interpolation with the port the app must listen on; use it in the compose file, e.g. `command: --port ${PORT}` or `environment: {PORT: ${PORT}}`.',
        required: false,
        default: 'PORT'
      },
      {
        name: 'proxy-bind',
        description: 'Address the proxy listens on.',
        required: false,
        default: '0.0.0.0'
      },
      {
        name: 'state-dir',
        description: 'Where releases, history, the lock and the proxy live on the host.',
        required: false,
        default: '/var/lib/deploy-actions'
      },
      {
        name: 'lock-timeout',
        description:
          'How long to wait for another deploy of the same app and environment on a host to finish, before failing with its holder.',
        required: false,
        default: '5m'
      },
      {
        name: 'lock-stale-after',
        description:
          'A lock whose heartbeat is older than this (or whose holder process on this runner is gone) is reported as stale.',
        required: false,
        default: '2m'
      },
      {
        name: 'break-lock',
        description:
          'Break a STALE lock (never a live one) and record it in the history. Use after checking that its holder is really gone.',
        required: false,
        default: 'false'
      },
      {
        name: 'start-timeout',
        description:
          'How long new containers may take to run (and be healthy, with a HEALTHCHECK) and answer health-urls path on their slot, from the host, before traffic moves.',
        required: false,
        default: '60s'
      },
      {
        name: 'drain-timeout',
        description:
          'After switching, how long the old slot keeps running so the requests it holds finish, before it is stopped.',
        required: false,
        default: '5s'
      },
      {
        name: 'webhook-url',
        description:
          'Optional URL that receives the events (deploy.started, deploy.completed, deploy.failed, rollback.executed) as signed JSON POSTs.',
        required: false,
        default: ''
      },
      {
        name: 'webhook-secret',
        description: 'HMAC-SHA256 key for the webhook signature header `X-Deploy-Actions-Signature-256`.',
        required: false,
        default: ''
      },
      {
        name: 'token',
        description:
          'GitHub token: record this run as a GitHub Deployment (in_progress, then success or failure; needs `permissions: deployments: write`). Empty: no record.',
        required: false,
        default: ''
      },
      {
        name: 'health-url',
        description:
          'The health gate: URLs probed from the runner after each switch, one per line, e.g. `https://shop.example.com/up`. The path of the first one is also checked on the new slot from the host before traffic moves.',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-status',
        description: 'Health gate: accepted HTTP status codes and ranges (`200-399`, `2xx`).',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-body',
        description: 'Health gate: the body must contain this text, or match `/regex/flags`.',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-json',
        description: 'Health gate: JSON expectations, one `$.path op value` per line.',
        required: false,
        default: ''
      },
      {
        name: 'health-headers',
        description: 'Health gate: request headers, one `Name: value` per line (masked).',
        required: false,
        default: ''
      },
      {
        name: 'health-max-latency',
        description: 'Health gate: a probe slower than this fails.',
        required: false,
        default: ''
      },
      {
        name: 'health-probe-timeout',
        description: 'Health gate: per-probe timeout (default 5s).',
        required: false,
        default: ''
      },
      {
        name: 'health-interval',
        description: 'Health gate: time between probe rounds (default 2s).',
        required: false,
        default: ''
      },
      {
        name: 'health-initial-delay',
        description: 'Health gate: wait before the first round.',
        required: false,
        default: ''
      },
      {
        name: 'health-timeout',
        description: 'Health gate: overall bound of the gate (default 2m).',
        required: false,
        default: ''
      },
      {
        name: 'health-success-threshold',
        description: 'Health gate: consecutive passing rounds to pass (default 3).',
        required: false,
        default: ''
      },
      {
        name: 'health-failure-threshold',
        description: 'Health gate: failing rounds to fail (default 3).',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-url',
        description: 'Health gate: Prometheus base URL for prometheus-query.',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-query',
        description: 'Health gate: metric checks, one `<PromQL> <op> <number>` per line.',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-headers',
        description: 'Health gate: headers for Prometheus, one `Name: value` per line (masked).',
        required: false,
        default: ''
      },
      {
        name: 'health-no-data',
        description: 'Health gate: what a query without data counts as, `fail` or `pass`.',
        required: false,
        default: ''
      },
      {
        name: 'health-container',
        description:
          'Health gate: extra containers on the host whose Docker health must be healthy (the releases own containers are always checked).',
        required: false,
        default: ''
      },
      {
        name: 'health-ca-cert',
        description: 'Health gate: extra CA certificate(s) for https probes (PEM or path).',
        required: false,
        default: ''
      },
      {
        name: 'health-insecure-skip-tls-verify',
        description: 'Health gate: skip TLS verification (explicit opt-in).',
        required: false,
        default: ''
      },
      {
        name: 'health-mode',
        description: 'Health gate: `threshold` or `soak`.',
        required: false,
        default: ''
      },
      {
        name: 'health-window',
        description: 'Health gate: soak window.',
        required: false,
        default: ''
      },
      {
        name: 'health-min-success-rate',
        description: 'Health gate: soak rule, minimum fraction of passing probes.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-error-rate',
        description: 'Health gate: soak rule, maximum fraction of 5xx/unanswered probes.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-p95-latency',
        description: 'Health gate: soak rule, maximum p95 latency.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-p99-latency',
        description: 'Health gate: soak rule, maximum p99 latency.',
        required: false,
        default: ''
      }
    ],
    outputs: [
      {
        name: 'release-id',
        description:
          'The id of the release this run created (`20261123T091502Z-3fa9`), whether it succeeded or not.'
      },
      {
        name: 'previous-release-id',
        description: 'The release that served before this deploy (empty on a first deploy).'
      },
      {
        name: 'url',
        description: 'The first health-url: where the release is reachable.'
      },
      {
        name: 'digests',
        description: 'JSON object service → `repo@sha256:…` pulled on the host and pinned in the release.'
      },
      {
        name: 'rolled-back',
        description: '`true` when the deploy failed and the previous release was re-activated.'
      },
      {
        name: 'duration-ms',
        description: 'Wall time of the deploy in milliseconds.'
      }
    ]
  },
  {
    id: 'health-gate',
    description:
      'Decide from evidence whether a release is healthy: HTTP expectations, container health and Prometheus queries, with thresholds or a soak window, and an explained verdict.',
    inputs: [
      {
        name: 'url',
        description:
          'URLs to probe, one per line (optionally prefixed with GET or HEAD). http:// or https://.',
        required: false,
        default: ''
      },
      {
        name: 'expect-status',
        description: 'Accepted HTTP status codes and ranges, e.g. `200-399`, `200,204`, `2xx`.',
        required: false,
        default: '200-399'
      },
      {
        name: 'expect-body',
        description: 'The body must contain this text, or match it when written as `/regex/flags`.',
        required: false,
        default: ''
      },
      {
        name: 'expect-json',
        description:
          'JSON expectations, one `$.path op value` per line. Operators: ==, !=, <, <=, >, >=, contains, matches (/re/), exists. E.g. `$.status == ok`.',
        required: false,
        default: ''
      },
      {
        name: 'headers',
        description: 'Request headers, one `Name: value` per line. Values are masked in logs.',
        required: false,
        default: ''
      },
      {
        name: 'max-latency',
        description: 'A probe slower than this fails (e.g. `500ms`). Empty: no latency bound.',
        required: false,
        default: ''
      },
      {
        name: 'probe-timeout',
        description: 'Per-probe timeout: a hanging server fails the probe after this long.',
        required: false,
        default: '5s'
      },
      {
        name: 'interval',
        description:
          'Time between the starts of probe rounds (`500ms`, `30s`, `2m`). Rounds keep this schedule even while a slow round is still open.',
        required: false,
        default: '2s'
      },
      {
        name: 'initial-delay',
        description: 'Wait this long before the first round.',
        required: false,
        default: '0s'
      },
      {
        name: 'timeout',
        description:
          'Overall bound (threshold mode): the verdict is `timeout` when neither threshold is reached by then.',
        required: false,
        default: '2m'
      },
      {
        name: 'success-threshold',
        description: 'Consecutive passing rounds to be healthy. A round passes only when every probe passes.',
        required: false,
        default: '3'
      },
      {
        name: 'failure-threshold',
        description: 'Failing rounds (in total, not necessarily consecutive) to be unhealthy.',
        required: false,
        default: '3'
      },
      {
        name: 'prometheus-url',
        description: 'Prometheus base URL for `prometheus-query`, e.g. `http://prometheus:9090`.',
        required: false,
        default: ''
      },
      {
        name: 'prometheus-query',
        description:
          'Metric checks, one `<PromQL> <op> <number>` per line, e.g. `sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) < 0.01`. Every returned series must satisfy it.',
        required: false,
        default: ''
      },
      {
        name: 'prometheus-headers',
        description:
          'Request headers for Prometheus (e.g. `Authorization: Bearer …` for a managed Prometheus), one `Name: value` per line. Values are masked in logs.',
        required: false,
        default: ''
      },
      {
        name: 'no-data',
        description:
          'What a query that returns no data or NaN counts as: `fail` (default, as Flagger does) or `pass`.',
        required: false,
        default: 'fail'
      },
      {
        name: 'container',
        description:
          'Containers (names or ids) whose Docker health status must be `healthy` (or `running` when they have no HEALTHCHECK), one per line.',
        required: false,
        default: ''
      },
      {
        name: 'ca-cert',
        description:
          'Extra CA certificate(s) to trust for https probes and Prometheus: PEM text or a file path.',
        required: false,
        default: ''
      },
      {
        name: 'insecure-skip-tls-verify',
        description: 'Skip TLS certificate verification. An explicit opt-in; prefer `ca-cert`.',
        required: false,
        default: 'false'
      },
      {
        name: 'mode',
        description:
          '`threshold` (pass on consecutive successes, fail on a failure budget) or `soak` (sample for `window`, then judge the soak rules).',
        required: false,
        default: 'threshold'
      },
      {
        name: 'window',
        description:
          'Soak mode: how long to sample. The gate ends early as soon as the samples so far break a rule whatever the rest of the window shows.',
        required: false,
        default: '1m'
      },
      {
        name: 'min-success-rate',
        description:
          'Soak rule: fraction of probes that must pass (`0.99` or `99%`). When no soak rule is given, soak mode judges the canary set: success rate >= 99%, error rate <= 1%, p99 latency <= 500ms (the last two only with `url`).',
        required: false,
        default: ''
      },
      {
        name: 'max-error-rate',
        description:
          'Soak rule: maximum fraction of HTTP probes answering 5xx or not answering (`0.01` or `1%`).',
        required: false,
        default: ''
      },
      {
        name: 'max-p95-latency',
        description: 'Soak rule: maximum p95 HTTP latency over the window (e.g. `500ms`).',
        required: false,
        default: ''
      },
      {
        name: 'max-p99-latency',
        description: 'Soak rule: maximum p99 HTTP latency over the window (e.g. `1s`).',
        required: false,
        default: ''
      },
      {
        name: 'fail-on-unhealthy',
        description:
          'Fail the step when the verdict is not `healthy`. Set false to branch on the `verdict` output instead.',
        required: false,
        default: 'true'
      }
    ],
    outputs: [
      {
        name: 'verdict',
        description: '`healthy`, `unhealthy` or `timeout`.'
      },
      {
        name: 'reason',
        description:
          'Why: the probe, the expectation and the observed value (or the soak rules and their values).'
      },
      {
        name: 'probes',
        description: 'Number of individual probes run.'
      },
      {
        name: 'failures',
        description: 'Number of failing rounds.'
      },
      {
        name: 'p50-ms',
        description: 'Median HTTP probe latency in ms (all probes when there is no HTTP probe).'
      },
      {
        name: 'p95-ms',
        description: '95th percentile HTTP probe latency in ms.'
      },
      {
        name: 'evidence',
        description:
          'JSON array of probe records (round, target, kind, ok, status, latencyMs, value, expectation, reason, time): every probe, or the most recent that fit in 256 KB.'
      },
      {
        name: 'evidence-file',
        description:
          'Path of a JSON file (0600, under RUNNER_TEMP) with every probe record, for upload as an artifact.'
      }
    ]
  },
  {
    id: 'rollback',
    description:
      "Re-activate an earlier release (images and configuration) from the host's own release directory, gated like a deploy; with dry-run, show what would change.",
    inputs: [
      {
        name: 'host',
        description:
          'Hosts to deploy to, one per line (`host` or `host:port`). With several, `rolling` and `recreate` go one host at a time and stop at the first failure; `blue-green` readies every host before switching any.',
        required: true,
        default: ''
      },
      {
        name: 'port',
        description: 'SSH port of the hosts (a `host:port` line overrides it).',
        required: false,
        default: '22'
      },
      {
        name: 'user',
        description: 'SSH user. It must be able to run docker and write `state-dir`.',
        required: false,
        default: 'root'
      },
      {
        name: 'ssh-key',
        description:
          'Private key for SSH (OpenSSH or PEM text), e.g. from the secret DEPLOY_SSH_KEY. Written 0600 to a private temp dir, removed at the end; masked in logs.',
        required: true,
        default: ''
      },
      {
        name: 'known-hosts',
        description:
          'known_hosts lines for the host (and the jump host), e.g. the output of `ssh-keyscan -p 22 host` taken on a trusted machine. Unknown and changed host keys are always refused. One of known-hosts or host-fingerprint is required.',
        required: false,
        default: ''
      },
      {
        name: 'host-fingerprint',
        description:
          'Pinned host key fingerprints instead of known-hosts: `SHA256:…` values (as `ssh-keygen -lf` prints them), one per line, of any key type the host offers. Checked against `ssh-keyscan`; a mismatch is refused, naming what the host offered.',
        required: false,
        default: ''
      },
      {
        name: 'jump-host',
        description:
          'Reach the host through this bastion: `[user@]host[:port]` (ssh -J). Its key must be in known-hosts too.',
        required: false,
        default: ''
      },
      {
        name: 'app',
        description:
          'Application name (lowercase letters, digits, `-`, `_`): the directory under state-dir and the compose project prefix.',
        required: true,
        default: ''
      },
      {
        name: 'environment',
        description:
          'Environment name (e.g. `production`): one app has separate releases, lock and proxy per environment.',
        required: false,
        default: 'production'
      },
      {
        name: 'to',
        description:
          'Release id or version to go back to. Default: the release that served before the current one. `dry-run` lists the candidates.',
        required: false,
        default: ''
      },
      {
        name: 'dry-run',
        description:
          'Show what would change (images, configuration, version) and the releases on the host, and change nothing.',
        required: false,
        default: 'false'
      },
      {
        name: 'reason',
        description: 'Why: recorded in the host history and the rollback.executed event.',
        required: false,
        default: 'manual rollback'
      },
      {
        name: 'timeout',
        description: 'Bound of the whole rollback, gate included.',
        required: false,
        default: '10m'
      },
      {
        name: 'public-port',
        description:
          'The port users reach. `recreate`: the app listens on it directly (set in `port-variable`). `blue-green`/`rolling`: the proxy (nginx on the host) listens on it and forwards to the active slot. Required for blue-green and rolling.',
        required: false,
        default: ''
      },
      {
        name: 'slot-ports',
        description:
          'The two slot ports for blue-green/rolling, `blue,green` (default public-port+1, public-port+2). The app listens on the slot port given in `port-variable`.',
        required: false,
        default: ''
      },
      {
        name: 'port-variable',
        description:
          'Environment variable the action sets for `docker compose` interpolation with the port the app must listen on; use it in the compose file, e.g. `command: --port ${PORT}` or `environment: {PORT: ${PORT}}`.',
        required: false,
        default: 'PORT'
      },
      {
        name: 'proxy-bind',
        description: 'Address the proxy listens on.',
        required: false,
        default: '0.0.0.0'
      },
      {
        name: 'state-dir',
        description: 'Where releases, history, the lock and the proxy live on the host.',
        required: false,
        default: '/var/lib/deploy-actions'
      },
      {
        name: 'lock-timeout',
        description:
          'How long to wait for another deploy of the same app and environment on a host to finish, before failing with its holder.',
        required: false,
        default: '5m'
      },
      {
        name: 'lock-stale-after',
        description:
          'A lock whose heartbeat is older than this (or whose holder process on this runner is gone) is reported as stale.',
        required: false,
        default: '2m'
      },
      {
        name: 'break-lock',
        description:
          'Break a STALE lock (never a live one) and record it in the history. Use after checking that its holder is really gone.',
        required: false,
        default: 'false'
      },
      {
        name: 'start-timeout',
        description:
          'How long new containers may take to run (and be healthy, with a HEALTHCHECK) and answer health-urls path on their slot, from the host, before traffic moves.',
        required: false,
        default: '60s'
      },
      {
        name: 'drain-timeout',
        description:
          'After switching, how long the old slot keeps running so the requests it holds finish, before it is stopped.',
        required: false,
        default: '5s'
      },
      {
        name: 'webhook-url',
        description:
          'Optional URL that receives the events (deploy.started, deploy.completed, deploy.failed, rollback.executed) as signed JSON POSTs.',
        required: false,
        default: ''
      },
      {
        name: 'webhook-secret',
        description: 'HMAC-SHA256 key for the webhook signature header `X-Deploy-Actions-Signature-256`.',
        required: false,
        default: ''
      },
      {
        name: 'token',
        description:
          'GitHub token: record this run as a GitHub Deployment (in_progress, then success or failure; needs `permissions: deployments: write`). Empty: no record.',
        required: false,
        default: ''
      },
      {
        name: 'health-url',
        description:
          'The health gate: URLs probed from the runner after each switch, one per line, e.g. `https://shop.example.com/up`. The path of the first one is also checked on the new slot from the host before traffic moves.',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-status',
        description: 'Health gate: accepted HTTP status codes and ranges (`200-399`, `2xx`).',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-body',
        description: 'Health gate: the body must contain this text, or match `/regex/flags`.',
        required: false,
        default: ''
      },
      {
        name: 'health-expect-json',
        description: 'Health gate: JSON expectations, one `$.path op value` per line.',
        required: false,
        default: ''
      },
      {
        name: 'health-headers',
        description: 'Health gate: request headers, one `Name: value` per line (masked).',
        required: false,
        default: ''
      },
      {
        name: 'health-max-latency',
        description: 'Health gate: a probe slower than this fails.',
        required: false,
        default: ''
      },
      {
        name: 'health-probe-timeout',
        description: 'Health gate: per-probe timeout (default 5s).',
        required: false,
        default: ''
      },
      {
        name: 'health-interval',
        description: 'Health gate: time between probe rounds (default 2s).',
        required: false,
        default: ''
      },
      {
        name: 'health-initial-delay',
        description: 'Health gate: wait before the first round.',
        required: false,
        default: ''
      },
      {
        name: 'health-timeout',
        description: 'Health gate: overall bound of the gate (default 2m).',
        required: false,
        default: ''
      },
      {
        name: 'health-success-threshold',
        description: 'Health gate: consecutive passing rounds to pass (default 3).',
        required: false,
        default: ''
      },
      {
        name: 'health-failure-threshold',
        description: 'Health gate: failing rounds to fail (default 3).',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-url',
        description: 'Health gate: Prometheus base URL for prometheus-query.',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-query',
        description: 'Health gate: metric checks, one `<PromQL> <op> <number>` per line.',
        required: false,
        default: ''
      },
      {
        name: 'health-prometheus-headers',
        description: 'Health gate: headers for Prometheus, one `Name: value` per line (masked).',
        required: false,
        default: ''
      },
      {
        name: 'health-no-data',
        description: 'Health gate: what a query without data counts as, `fail` or `pass`.',
        required: false,
        default: ''
      },
      {
        name: 'health-container',
        description:
          'Health gate: extra containers on the host whose Docker health must be healthy (the releases own containers are always checked).',
        required: false,
        default: ''
      },
      {
        name: 'health-ca-cert',
        description: 'Health gate: extra CA certificate(s) for https probes (PEM or path).',
        required: false,
        default: ''
      },
      {
        name: 'health-insecure-skip-tls-verify',
        description: 'Health gate: skip TLS verification (explicit opt-in).',
        required: false,
        default: ''
      },
      {
        name: 'health-mode',
        description: 'Health gate: `threshold` or `soak`.',
        required: false,
        default: ''
      },
      {
        name: 'health-window',
        description: 'Health gate: soak window.',
        required: false,
        default: ''
      },
      {
        name: 'health-min-success-rate',
        description: 'Health gate: soak rule, minimum fraction of passing probes.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-error-rate',
        description: 'Health gate: soak rule, maximum fraction of 5xx/unanswered probes.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-p95-latency',
        description: 'Health gate: soak rule, maximum p95 latency.',
        required: false,
        default: ''
      },
      {
        name: 'health-max-p99-latency',
        description: 'Health gate: soak rule, maximum p99 latency.',
        required: false,
        default: ''
      }
    ],
    outputs: [
      {
        name: 'release-id',
        description:
          'The release serving after the rollback (the target; with dry-run, the one it would re-activate).'
      },
      {
        name: 'from-release-id',
        description: 'The release that served before.'
      },
      {
        name: 'rolled-back',
        description: '`true` when the rollback happened and passed its gate.'
      }
    ]
  }
];
