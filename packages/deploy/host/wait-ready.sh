#!/bin/sh
# Wait until a compose project's containers run (healthy where they have a HEALTHCHECK), and an HTTP check
# from the host passes twice in a row, or stop at the first crash, unhealthy container or the deadline.
#   wait-ready.sh <timeout-seconds> <project> <docker inspect format> [check argv…]
# The first line of output says how it ended (packages/deploy/src/wait-ready.ts decodes it):
#   ready                              exit 0
#   crashed <container state line>     exit 3, then the container's last log lines
#   unhealthy <container name>         exit 4
#   timeout http <check exit code>     exit 5, the containers ran but the check did not pass
#   timeout states                     exit 5, then the container state lines
end=$(( $(date +%s) + $1 )); p=$2; fmt=$3; shift 3; ok=0
while :; do
  ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$p")
  st=
  # shellcheck disable=SC2086 # $ids is a list of container ids: split on purpose
  [ -z "$ids" ] || st=$(docker inspect --format "$fmt" $ids)
  bad=; sick=; up=1; [ -n "$st" ] || up=0
  while read -r id s h r x n; do
    [ -n "$id" ] || continue
    case "$s" in exited|dead|restarting) bad="$id $s $h $r $x $n";; esac
    [ "$r" = 0 ] || bad="$id $s $h $r $x $n"
    [ "$s" = running ] || up=0
    case "$h" in -|healthy) ;; unhealthy) sick=$n; up=0;; *) up=0;; esac
  done <<EOF
$st
EOF
  if [ -n "$bad" ]; then echo "crashed $bad"; docker logs --tail 10 "${bad%% *}" 2>&1; exit 3; fi
  if [ -n "$sick" ]; then echo "unhealthy $sick"; exit 4; fi
  http=-; if [ "$up" = 1 ] && [ $# -gt 0 ]; then "$@" >/dev/null 2>&1; http=$?; fi
  if [ "$up" = 1 ] && { [ "$http" = - ] || [ "$http" = 0 ]; }; then ok=$((ok+1)); [ "$ok" -lt 2 ] || { echo ready; exit 0; }; else ok=0; fi
  if [ "$(date +%s)" -ge "$end" ]; then
    if [ "$up" = 1 ]; then echo "timeout http $http"; else echo "timeout states"; printf "%s\n" "$st"; fi; exit 5
  fi
  sleep 0.25
done
