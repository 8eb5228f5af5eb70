#!/bin/sh
# Remove the images of pruned releases, each by its digest and by the tag its release pulled it by, unless a
# release record under the state dir names it (packages/deploy/src/commands.ts pruneImagesArgv).
#   prune-images.sh <state-dir> [<digest> <tag or empty>]...
# Prints `removed <digest>`, `kept <digest> (<why>)` or `gone <digest>` per image; exit 1 when docker refused one.
sd=$1; shift; st=0
while [ $# -ge 2 ]; do
  d=$1; t=$2; shift 2
  id=$(docker image inspect -f "{{.Id}}" "$d" 2>/dev/null) || { echo "gone $d"; continue; }
  u=$(grep -lsF -- "\"$d\"" "$sd"/*/*/releases/*/release.json | head -n 1)
  if [ -n "$u" ]; then echo "kept $d (named by $u)"; continue; fi
  # A record naming the tag may be a deploy between its pull and its pinned digests: the tag stays.
  [ -z "$t" ] || ! grep -qsF -- "\"$t\"" "$sd"/*/*/releases/*/release.json || t=
  if [ -n "$t" ] && [ "$(docker image inspect -f "{{.Id}}" "$t" 2>/dev/null)" = "$id" ]; then
    out=$(docker image rm "$d" "$t" 2>&1)
  else
    out=$(docker image rm "$d" 2>&1)
  fi
  if [ $? -eq 0 ]; then echo "removed $d"; else echo "kept $d ($(printf "%s" "$out" | tail -n 1))"; st=1; fi
done
exit $st
