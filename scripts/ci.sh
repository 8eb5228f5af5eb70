#!/usr/bin/env bash
# The test command (README): set up a fresh machine and run every check and test.
#   bash scripts/ci.sh
# Installs npm dependencies and the Debian packages the infrastructure needs, starts the real components on
# 127.0.0.1 (scripts/infra.sh), then: typecheck, lint and format, catalog and dist drift, and the whole jest
# suite, integration tests included (they fail, never skip, when a component is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=${CI:-true}
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error
step "infrastructure up"
bash scripts/infra.sh up
step "typecheck"
npx tsc -p .
step "lint and format"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . || true; exit 1; }
step "shell scripts (shellcheck)"
git ls-files -z '*.sh' | xargs -0 shellcheck -S warning
step "generated from manifest.yml: action.yml files, catalog, typed defaults, CLI help"
node scripts/catalog.mjs --check
step "dist matches a fresh build"
bash scripts/check-dist.sh
step "tests"
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci
step "done"
