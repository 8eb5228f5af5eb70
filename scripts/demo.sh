#!/usr/bin/env bash
# The main job (README): on a fresh Debian machine, install what is missing, start the local
# infrastructure (dockerd, registries, sshd, PostgreSQL, Prometheus, the field hosts on 127.0.0.1), then
# deploy the example app (its web service and database accessory on a bridge network, the database's ./data
# kept across releases and rollbacks; to field host 1: a non-root user, a slow login shell, a far link, the Compose v2
# plugin in its ~/.docker/cli-plugins; test/e2e/chain.ts)
# through the whole chain: release → build → migrate → deploy dev → soak → tag → promote staging and
# production (one approval each) → a release that fails its soak → rolled back, tag unmoved → a broken
# release → gate fails → automatic rollback → report (demo-report.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
bash scripts/infra.sh up
[ -f dist/deploy-compose/index.js ] || node scripts/build.mjs
exec npx tsx scripts/demo.ts
