#!/bin/sh
# Prune a release directory set aside at <dir>; one holding data an earlier version left in it (its
# .earlier-data list) is moved whole to <keep-in> instead, once (packages/deploy/src/user-files.ts).
#   prune-release.sh <dir> <keep-in>
# Prints `kept <path> ...` when it kept data.
if [ -f "$1/.earlier-data" ]; then
  mkdir -p -- "$(dirname -- "$2")" && mv -T -- "$1" "$2" || exit 1
  while IFS= read -r p; do [ -z "$p" ] || [ ! -L "$2/$p" ] || rm -f -- "$2/$p"; done < "$2/.earlier-data"
  rm -f -- "$2/release.json" "$2/.env" && echo "kept $(tr "\n" " " < "$2/.earlier-data")"
else
  rm -rf -- "$1"
fi
