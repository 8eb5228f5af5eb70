#!/bin/sh
# doctor: the nearest existing directory on the way to the app's root, whether it is writable, and its free
# space (packages/deploy/src/doctor.ts).
#   state-dir-space.sh <app-env root>
# Prints `writable` or `read-only`, then its `df -Pk` line.
d=$1; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; [ -w "$d" ] && echo writable || echo read-only; df -Pk "$d" | tail -1
