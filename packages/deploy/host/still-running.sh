#!/bin/sh
# After the switch: every container of a compose project still runs (healthy where it has a HEALTHCHECK, no
# restarts), checked <rounds> times <interval> seconds apart, on the host, without a round trip per check.
#   still-running.sh <project> <rounds> <interval-seconds> <docker inspect format>
# Exit 0 when every round passed; exit 1 printing `no containers`, or the container state lines.
i=0
while [ "$i" -lt "$2" ]; do
  [ "$i" = 0 ] || sleep "$3"
  ids=$(docker ps -aq --no-trunc --filter "label=com.docker.compose.project=$1")
  st=
  # shellcheck disable=SC2086 # $ids is a list of container ids: split on purpose
  [ -z "$ids" ] || st=$(docker inspect --format "$4" $ids)
  [ -n "$st" ] || { echo "no containers"; exit 1; }
  bad=; while read -r id s h r _ _; do
    [ -n "$id" ] || continue
    case "$s $h $r" in "running healthy 0"|"running - 0") ;; *) bad=1;; esac
  done <<EOF
$st
EOF
  if [ -n "$bad" ]; then printf "%s\n" "$st"; exit 1; fi
  i=$((i+1))
done
