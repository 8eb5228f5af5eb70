#!/bin/sh
# The remote command of a DETACHED phase (packages/ssh/src/script.ts DETACHED_PHASE says how it works): the
# phase script on stdin, run in a session of its own with its output relayed as it grows.
#   detached-phase.sh [<file to flock: phases holding it run one after the other>]
umask 077
d=$(mktemp -d "${TMPDIR:-/tmp}/da-phase.XXXXXX") || { echo "mktemp failed" >&2; exit 97; }
cat > "$d/s" || { rm -rf "$d"; exit 97; }
if [ "$(tail -n 1 "$d/s")" != "exit 0" ]; then rm -rf "$d"; echo "the phase script arrived truncated; nothing was run" >&2; exit 98; fi
: > "$d/o"
setsid sh -c 'trap "" HUP PIPE; if [ -n "$3" ] && mkdir -p "${3%/*}" && ( : >>"$3" ) 2>/dev/null; then exec 9>>"$3"; flock 9; fi; exec 3<"$1/s"; rm -f "$1/s"; sh -s <&3 3<&- 9>&- >"$1/o" 2>"$1/e"; echo $? >"$1/x.new"; mv -f "$1/x.new" "$1/x"; exec 9>&-; while kill -0 "$2" 2>/dev/null; do sleep 1; done; rm -rf "$1"' sh "$d" "$$" "$1" </dev/null >/dev/null 2>&1 &
p=$!; n=0
while :; do
  f=0; [ -f "$d/x" ] && f=1
  if [ $f = 0 ] && ! kill -0 $p 2>/dev/null && [ ! -f "$d/x" ]; then echo "the detached phase ended without its exit code" >&2; rm -rf "$d"; exit 96; fi
  s=$(wc -c <"$d/o")
  if [ "$s" -gt "$n" ]; then tail -c +$((n + 1)) "$d/o" | head -c $((s - n)); n=$s; fi
  [ $f = 1 ] && break
  sleep 0.05
done
cat "$d/e" >&2
c=$(cat "$d/x")
rm -rf "$d"
exit "$c"
