#!/usr/bin/env bash
# Fail when dist/ differs from a fresh build of the sources (the bundles users run are committed).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/build.mjs >/dev/null
if ! git diff --quiet -- dist || [ -n "$(git ls-files --others --exclude-standard dist)" ]; then
  echo "dist/ differs from a fresh build: run 'npm run build' and commit dist/." >&2
  git status --short dist | head -20 >&2
  exit 1
fi
echo "dist/ matches a fresh build."
