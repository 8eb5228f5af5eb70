#!/bin/sh
# Stop the app's proxy and wait (up to 5 s) for its pid file to go (packages/deploy/src/commands.ts).
#   proxy-stop.sh <nginx.conf> <proxy dir>
if [ -f "$2/nginx.pid" ] && kill -0 "$(cat "$2/nginx.pid")" 2>/dev/null; then nginx -e "$2/error.log" -p "$2" -c "$1" -s quit; i=0; while [ -f "$2/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; fi; true
