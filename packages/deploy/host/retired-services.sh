#!/bin/sh
# The serving release's own copies of what are accessories now (packages/deploy/src/accessories.ts):
#   retired-services.sh retire  <project> ''            <service>...   stop them: prints `retired <service>`
#   retired-services.sh remove  <project> ''            <service>...   remove them: prints `removed <service>`
#   retired-services.sh restore <project> <accessories> <service>...   stop the accessories' own containers of
#                                                                      those services, start the retired ones
#                                                                      again: prints `restored <service>`
mode=$1; p=$2; a=$3; shift 3
for s in "$@"; do
  case "$mode" in
    retire)
      ids=$(docker ps -q --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")
      # shellcheck disable=SC2086 # container ids: split on purpose
      [ -z "$ids" ] || { docker stop $ids >/dev/null && echo "retired $s"; }
      ;;
    remove)
      ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")
      # shellcheck disable=SC2086 # container ids: split on purpose
      [ -z "$ids" ] || { docker rm -f $ids >/dev/null && echo "removed $s"; }
      ;;
    restore)
      ids=$(docker ps -q --filter "label=com.docker.compose.project=$a" --filter "label=com.docker.compose.service=$s")
      # shellcheck disable=SC2086 # container ids: split on purpose
      [ -z "$ids" ] || docker stop $ids >/dev/null || exit 1
      ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p" --filter "label=com.docker.compose.service=$s")
      # shellcheck disable=SC2086 # container ids: split on purpose
      [ -z "$ids" ] || { docker start $ids >/dev/null && echo "restored $s"; } || exit 1
      ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
done
true
