#!/bin/sh
# Remove the private registry logins (<root>/.docker-<id>) a stopped run left (packages/deploy/src/commands.ts).
#   sweep-docker-configs.sh <root>
# Prints `removed <dir>` per directory.
for d in "$1"/.docker-*; do [ -d "$d" ] || continue; rm -rf -- "$d" && echo "removed $d"; done; true
