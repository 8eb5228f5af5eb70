#!/bin/sh
# The forced command of a read-only observe key (an authorized_keys line `restrict,command="…"` that
# `deploy-actions observe-key` installs). With that key the host answers exactly the requests
# `deploy-actions report` makes, and refuses every other:
#   true                                                  the connection check
#   date -u +%s.%N                                        the host's clock (for skew)
#   cat -- <state-dir>/<app>/<environment>/history.jsonl  one environment's release history, read only
# Usage (by sshd): observe.sh <state-dir> <app>
# The client's request is in SSH_ORIGINAL_COMMAND. It is compared with those shapes and never run: the
# commands executed are written here.
set -eu
state_dir=$1
app=$2
asked=${SSH_ORIGINAL_COMMAND:-}

case $asked in
  'true')
    exit 0
    ;;
  'date -u +%s.%N')
    exec date -u +%s.%N
    ;;
  "cat -- $state_dir/$app/"*/history.jsonl)
    environment=${asked#"cat -- $state_dir/$app/"}
    environment=${environment%/history.jsonl}
    case $environment in
      '' | *[!a-z0-9_-]*) ;;
      *) exec cat -- "$state_dir/$app/$environment/history.jsonl" ;;
    esac
    ;;
esac
printf 'deploy-actions observe key: this key only reads the release history of %s; refused: %s\n' "$app" "$asked" >&2
exit 1
