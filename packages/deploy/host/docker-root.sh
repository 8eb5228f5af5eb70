#!/bin/sh
# doctor: Docker's data root and its disk, and the images this app's release records name, with their size
# (packages/deploy/src/doctor.ts).
#   docker-root.sh <app-env root>
# Prints the data root, its `df -Pk` line, then `app-images <count> <bytes>`.
d=$(docker info -f "{{.DockerRootDir}}" 2>/dev/null) && [ -n "$d" ] && echo "$d" && df -Pk "$d" 2>/dev/null | tail -n 1
for f in "$1"/releases/*/release.json; do [ -f "$f" ] && sed -n 's/.*"digests":{\([^}]*\)}.*/\1/p' "$f"; done | tr "," "\n" | sed -n 's/^"[^"]*":"\([^"]*\)"$/\1/p' | sort -u |
  while read -r i; do docker image inspect -f "{{.Size}}" "$i" 2>/dev/null; done | awk '{ n++; s += $1 } END { print "app-images", n + 0, s + 0 }'
