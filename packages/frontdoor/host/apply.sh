#!/bin/sh
# The one program that changes a front door on a host, under an exclusive flock on <front-door>/lock
# (packages/frontdoor/src/apply.ts says what each mode does).
#   apply.sh <front-door dir> <check|apply|pause|resume|remove> <app key> <state-dir> <listen signature>
#            <probe address> <owner path> [host name]...
# Exit codes: 3 owner, 4 host name taken, 5 nginx -t failed, 6 port held by another program, 7 listen
# mismatch, 8 reload or start failed, 9 pause of an app not served here, 75 lock not had in time.
set -u
PATH=$PATH:/usr/sbin:/sbin
d=$1 mode=$2 key=$3 state=$4 listen=$5 probe=$6 owner_path=$7
shift 7
site="$d/sites/$key.conf"
me="$(id -un) $state"
fail() { code=$1; shift; echo "front door $d: $*" >&2; exit "$code"; }
running() { pid=$(cat "$d/nginx.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
umask 077
command -v flock >/dev/null 2>&1 || fail 1 "flock (util-linux) is missing on this host: install it"
# A check (doctor, a deploy's prepare) of a host with no front door yet creates nothing.
if [ "$mode" != check ] || [ -d "$d" ]; then
  mkdir -p "$d/sites" "$d/tmp" || fail 1 "cannot create the directory"
  exec 9>>"$d/lock" || fail 1 "cannot open $d/lock"
  flock -w 60 9 || fail 75 "another front-door change held $d/lock for 60 s; try again"
fi
if [ -f "$d/owner" ] && [ "$(cat "$d/owner")" != "$me" ]; then
  fail 3 "it belongs to $(cat "$d/owner") (user, state-dir); this deploy is $me: deploy every app of this host as that user with that state-dir"
fi
if [ -n "$probe" ] && ! running; then
  url="http://$probe$owner_path"
  if command -v curl >/dev/null 2>&1; then
    ans=$(curl -s -m 3 "$url" 2>/dev/null); rc=$?; free=7
  else
    ans=$(wget -q -T 3 -O - "$url" 2>/dev/null); rc=$?; free=4
  fi
  if [ "$rc" -ne "$free" ]; then
    case "$ans" in
      "owner $me") ;;
      "owner "*) fail 3 "port $probe is held by the front door of ${ans#owner } (user, state-dir); this deploy is $me: deploy every app of this host as that user with that state-dir" ;;
      *) fail 6 "port $probe is held by another program (not a deploy-actions front door): free it or choose other front-door-ports" ;;
    esac
  fi
fi
if [ -n "$listen" ] && [ -f "$d/nginx.conf" ]; then
  have=$(sed -n 's/^# listen //p' "$d/nginx.conf" | head -n 1)
  [ "$have" = "$listen" ] || fail 7 "it listens on '$have' (bind http https); this app asks for '$listen': give every app of this host the same front-door-ports and proxy-bind"
fi
for h in "$@"; do
  for f in "$d"/sites/*.conf; do
    if [ ! -f "$f" ] || [ "$f" = "$site" ]; then continue; fi
    if grep -qxF "# host $h" "$f"; then
      fail 4 "host name $h is already served by $(sed -n 's/^# app //p' "$f" | head -n 1): take it out of that app's public-hostnames first"
    fi
  done
done
[ "$mode" = check ] && { echo front-door=ok; exit 0; }
s="$d/.next"
rm -rf "$s"
mkdir -p "$s/sites" "$s/tls" "$s/maint" || fail 1 "cannot create $s"
for f in "$d"/sites/*.conf "$d"/tls/* "$d"/maint/*.conf; do
  if [ -f "$f" ]; then cp -p "$f" "$s/${f#"$d"/}" || { rm -rf "$s"; fail 1 "cannot copy $f"; }; fi
done
if [ ! -f "$d/nginx.conf" ] && [ "$mode" != apply ]; then rm -rf "$s"; echo front-door=absent; exit 0; fi
[ ! -f "$d/nginx.conf" ] || cp "$d/nginx.conf" "$s/nginx.conf" || { rm -rf "$s"; fail 1 "cannot copy nginx.conf"; }
case "$mode" in
  apply) tar -xf - -C "$s" || { rm -rf "$s"; fail 1 "cannot unpack the new config"; } ;;
  pause)
    [ -f "$s/sites/$key.conf" ] || { rm -rf "$s"; fail 9 "$key is not served by this front door: deploy it with public-hostnames first"; }
    tar -xf - -C "$s" || { rm -rf "$s"; fail 1 "cannot unpack the maintenance page"; } ;;
  resume) rm -f "$s/maint/$key.conf" ;;
  remove) rm -f "$s/sites/$key.conf" "$s/maint/$key.conf" ;;
  *) rm -rf "$s"; fail 2 "unknown mode $mode" ;;
esac
printf 'return 200 "owner %s\\n";\n' "$me" > "$s/owner.conf"
if ! err=$(nginx -e "$d/error.log" -t -q -p "$d" -c "$s/nginx.conf" 2>&1); then
  rm -rf "$s"
  fail 5 "the new config failed nginx -t, so nothing changed and the previous config serves on: $err"
fi
mv -f "$s/owner.conf" "$d/owner.conf" || fail 1 "cannot write owner.conf"
[ -f "$d/owner" ] || echo "$me" > "$d/owner"
[ ! -f "$s/start.sh" ] || mv -f "$s/start.sh" "$d/start.sh"
mkdir -p "$d/tls" "$d/maint"
for f in "$s"/tls/*; do
  if [ -f "$f" ]; then mv -f "$f" "$d/tls/" || fail 1 "cannot move $f into place"; fi
done
if [ -f "$s/maint/$key.conf" ]; then mv -f "$s/maint/$key.conf" "$d/maint/$key.conf"; else rm -f "$d/maint/$key.conf"; fi
if [ -f "$s/sites/$key.conf" ]; then mv -f "$s/sites/$key.conf" "$site"; else rm -f "$site"; fi
mv -f "$s/nginx.conf" "$d/nginx.conf"
rm -rf "$s"
if running; then
  before=" $(pgrep -P "$pid" | tr '\n' ' ') "
  err=$(nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" -s reload 2>&1) || fail 8 "reload failed: $err"
  # -s reload only signals the master: wait (up to 5 s) for a worker of the new config, so that traffic has
  # moved when this returns.
  fresh() { for w in $(pgrep -P "$pid"); do case "$before" in *" $w "*) ;; *) return 0 ;; esac; done; return 1; }
  i=0
  until fresh || [ "$i" -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
  echo front-door=reloaded
else
  # 9>&-: the nginx master would inherit the lock's descriptor and hold the flock for its whole life.
  err=$(nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" 9>&- 2>&1) || fail 8 "it did not start: $err"
  echo front-door=started
fi
