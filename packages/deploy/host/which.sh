#!/bin/sh
# Print each of the given programs that is on PATH (packages/deploy/src/commands.ts whichArgv).
#   which.sh <program>...
for p in "$@"; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done; true
