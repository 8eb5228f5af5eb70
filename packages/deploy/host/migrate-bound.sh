#!/bin/sh
# Run a migration command (the rest of the arguments) with a bound kept on the host: past <seconds> its
# container <name> is killed and removed, and the script prints TIMED_OUT_LINE of packages/deploy/src/migrate.ts
# ("deploy-actions: migrate-timeout reached") and exits 124.
#   migrate-bound.sh <seconds> <container name> <command>...
# The watchdog holds none of the step's output (the phase reads that output to its end). It outlives this
# script when the session dies under it: then it still kills the container at the bound, removes it, and
# stops; otherwise it retries the kill each second (compose may not have created the container yet) for at
# most a minute, until this script stops it.
t=$1; n=$2; shift 2
d=$(mktemp -d) || exit 97
( end=$(( $(date +%s) + t )); while [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  : >"$d/timeout"; i=0
  while [ $i -lt 60 ]; do
    docker kill "$n"; kill -0 $$ || { docker rm -f "$n"; rm -rf "$d"; exit 0; }
    i=$((i+1)); sleep 1
  done ) </dev/null >/dev/null 2>&1 &
w=$!
"$@"; c=$?
kill "$w" 2>/dev/null; wait "$w" 2>/dev/null
if [ -f "$d/timeout" ]; then
  docker rm -f "$n" >/dev/null 2>&1
  echo "deploy-actions: migrate-timeout reached after ${t}s: container $n killed and removed"
  rm -rf "$d"; exit 124
fi
rm -rf "$d"; exit $c
