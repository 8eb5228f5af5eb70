#!/bin/sh
# Probe a URL from the host every <interval> seconds for <duration> seconds (packages/deploy/src/canary-proxy.ts
# canaryProbeArgv); curl reads its headers from a config on stdin, so no header value is in an argv.
#   canary-probe.sh <url> <interval> <duration> <timeout> <body-bytes> <GET|HEAD> <stop-after> <status ranges>
# Prints `probe <curl exit> <http code> <seconds> <base64 body>` per probe, `stopped <n>` when it gave up.
cfg=$(mktemp) && b=$(mktemp) || exit 1
trap 'rm -f "$cfg" "$b"' EXIT
cat > "$cfg"
end=$(( $(date +%s) + $3 )); bad=0
while :; do
  : > "$b"
  # HEAD is curl's --head: `-X HEAD` would wait for the body a Content-Length announces, until -m.
  if [ "$6" = HEAD ]; then
    w=$(curl -s -K "$cfg" --head -o "$b" -m "$4" -w "%{http_code} %{time_total}" "$1" 2>/dev/null)
  else
    w=$(curl -s -K "$cfg" -X "$6" -o "$b" -m "$4" -w "%{http_code} %{time_total}" "$1" 2>/dev/null)
  fi; c=$?
  [ -n "$w" ] || w="000 0"
  body=; [ "$5" -gt 0 ] && body=$(head -c "$5" "$b" | base64 | tr -d "\n")
  echo "probe $c $w $body"
  if [ "$7" -gt 0 ]; then
    code=${w%% *}; ok=0
    for r in $8; do [ "$code" -ge "${r%-*}" ] && [ "$code" -le "${r#*-}" ] && ok=1; done
    [ "$c" = 0 ] && [ "$ok" = 1 ] || bad=$((bad+1))
    [ "$bad" -lt "$7" ] || { echo "stopped $bad"; break; }
  fi
  [ "$(date +%s)" -lt "$end" ] || break
  sleep "$2"
done
