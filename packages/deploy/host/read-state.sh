#!/bin/sh
# Everything the deploy needs to know about an app on a host, in one round trip (packages/deploy/src/commands.ts
# readStateArgv): `current`, `active` and one `release` line per release.json, `leftover` per pruned leftover.
#   read-state.sh <app-env root>
cd "$1" 2>/dev/null || exit 0
printf "current\t%s\n" "$(readlink current 2>/dev/null)"
if [ -f active.json ]; then printf "active\t%s\n" "$(cat active.json)"; fi
for f in releases/*/release.json; do [ -f "$f" ] && printf "release\t%s\n" "$(cat "$f")"; done
for d in releases/.pruned-*; do [ -d "$d" ] && printf "leftover\t%s\n" "${d#releases/.pruned-}"; done
true
