#!/bin/sh
# Wait until every container of the given services of a compose project is healthy (running, without a
# healthcheck), at most <timeout> seconds.
#   await-healthy.sh <timeout-seconds> <project> <service>...
# Exit 0 printing `healthy`; exit 5 printing `timeout <service>:<state> ...`.
end=$(( $(date +%s) + $1 )); p=$2; shift 2
while :; do
  waiting=
  for s in "$@"; do
    id=$(docker ps -q --no-trunc --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s" | head -n 1)
    st=missing; [ -z "$id" ] || st=$(docker inspect --format '{{.State.Status}}/{{with index .State "Health"}}{{.Status}}{{else}}-{{end}}' "$id")
    case "$st" in running/healthy|running/-) ;; *) waiting="$waiting $s:$st";; esac
  done
  [ -n "$waiting" ] || { echo healthy; exit 0; }
  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout$waiting"; exit 5; fi
  sleep 0.5
done
