#!/bin/sh
# Open the shipped config files (0644) and their directories (0755) of a release to its containers
# (packages/deploy/src/user-files.ts).
#   open-shipped.sh <release dir> <relative path>...
cd "$1" && shift && for p in "$@"; do if [ -d "$p" ]; then chmod 0755 -- "$p"; else chmod 0644 -- "$p"; fi || exit 1; done
