#!/usr/bin/env bash
# Docker CLI plugins as the field has them: Compose v2 (`docker compose`) on deploy hosts, buildx on the runner.
#
#   scripts/docker-plugins.sh fetch <dir>                 download and unpack them into <dir> (idempotent)
#   scripts/docker-plugins.sh install <dir> <plugin> <to>   copy <dir>/<plugin> into the plugin directory <to>
#   scripts/docker-plugins.sh version <dir>               print the versions fetched
#   scripts/docker-plugins.sh fetch-engine <dir>          a second, newer engine: trixie's dockerd 26.1 and its
#                                                         containerd 1.7 in <dir>/bin (the lab's second dockerd)
#
# Debian's archive serves them in the trixie suite (docker-compose 2.26, docker-buildx 0.13); both need only
# libc6 >= 2.34. The machine's own apt setup is left alone: apt gets a private sources list, state and cache
# under <dir>/apt that name the trixie suite of the archive the machine already uses, `apt-get download`
# fetches the .deb files, and `dpkg-deb -x` unpacks them. Nothing is installed through dpkg.
set -euo pipefail

PLUGIN_SUITE=${DA_PLUGIN_SUITE:-trixie}
PLUGIN_PACKAGES=(docker-compose docker-buildx)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

die() { printf '[docker-plugins] error: %s\n' "$*" >&2; exit 1; }
log() { printf '[docker-plugins] %s\n' "$*" >&2; }

# The archive the machine's apt already uses: the first Debian URI that is not the security archive.
archive_uri() {
  local uri
  uri=$(
    {
      grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{ for (i = 2; i <= NF; i++) print $i }'
      grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        sed -E 's/^deb (\[[^]]*\] )?//' | awk '{ print $1 }'
    } | grep -v security | grep -m1 '/debian/\?$' || true
  )
  [ -n "$uri" ] || die "no Debian archive in the machine's apt sources (/etc/apt/sources.list{,.d})"
  printf '%s\n' "${uri%/}"
}

apt_private() { # apt_private <dir> <apt-get args...>
  local a=$1/apt
  shift
  apt-get -q \
    -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State="$a/state" -o Dir::State::Lists="$a/state/lists" -o Dir::State::status="$a/state/status" \
    -o Dir::Cache="$a/cache" -o Dir::Cache::archives="$a/cache/archives" \
    -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root "$@"
}

fetch() { # fetch <dir>
  local dir=$1 p all=1
  for p in "${PLUGIN_PACKAGES[@]}"; do [ -x "$dir/$p" ] || all=0; done
  [ "$all" = 1 ] && return 0
  [ -r "$KEYRING" ] || die "$KEYRING is missing: apt-get install debian-archive-keyring"
  local a=$dir/apt uri
  uri=$(archive_uri)
  mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$dir/debs" "$dir/root"
  : >"$a/state/status"
  printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$uri" "$PLUGIN_SUITE" >"$a/sources.list"
  log "fetching ${PLUGIN_PACKAGES[*]} from $uri $PLUGIN_SUITE (private apt state in $a)"
  apt_private "$dir" update >/dev/null
  (cd "$dir/debs" && apt_private "$dir" download "${PLUGIN_PACKAGES[@]}" >/dev/null)
  for p in "${PLUGIN_PACKAGES[@]}"; do
    local deb
    deb=$(ls "$dir/debs/${p}_"*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || die "apt-get download did not bring $p from $PLUGIN_SUITE"
    dpkg-deb -x "$deb" "$dir/root"
    local bin
    bin=$(find "$dir/root" -path '*/cli-plugins/*' -name "$p" -type f | head -n1)
    [ -n "$bin" ] || die "$deb holds no cli-plugins/$p"
    install -m 0755 "$bin" "$dir/$p"
  done
  rm -rf "$dir/root"
}

install_plugin() { # install_plugin <dir> <plugin> <plugin-dir> [owner]
  local dir=$1 p=$2 to=$3 owner=${4:-}
  [ -x "$dir/$p" ] || die "$dir/$p is missing: run '$0 fetch $dir' first"
  mkdir -p "$to"
  if ! cmp -s "$dir/$p" "$to/$p"; then
    install -m 0755 "$dir/$p" "$to/$p.tmp"
    mv -f "$to/$p.tmp" "$to/$p"
  fi
  if [ -n "$owner" ]; then chown "$owner" "$to" "$to/$p"; fi
}

# The newer engine (issue 24): dockerd and containerd from trixie, unpacked the same way. runc stays the
# machine's own (trixie's needs libc6 2.38; bookworm has 2.36), which both engines accept.
ENGINE_PACKAGES=(docker.io containerd)
ENGINE_BINARIES=(dockerd docker-proxy containerd containerd-shim-runc-v2 ctr)
fetch_engine() { # fetch_engine <dir>
  local dir=$1 b all=1
  for b in "${ENGINE_BINARIES[@]}"; do [ -x "$dir/bin/$b" ] || all=0; done
  [ "$all" = 1 ] && return 0
  [ -r "$KEYRING" ] || die "$KEYRING is missing: apt-get install debian-archive-keyring"
  local a=$dir/apt uri p deb
  uri=$(archive_uri)
  mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$dir/debs" "$dir/root" "$dir/bin"
  : >"$a/state/status"
  printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$uri" "$PLUGIN_SUITE" >"$a/sources.list"
  log "fetching ${ENGINE_PACKAGES[*]} from $uri $PLUGIN_SUITE (private apt state in $a)"
  apt_private "$dir" update >/dev/null
  (cd "$dir/debs" && apt_private "$dir" download "${ENGINE_PACKAGES[@]}" >/dev/null)
  for p in "${ENGINE_PACKAGES[@]}"; do
    deb=$(ls "$dir/debs/${p}_"*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || die "apt-get download did not bring $p from $PLUGIN_SUITE"
    dpkg-deb -x "$deb" "$dir/root"
  done
  for b in "${ENGINE_BINARIES[@]}"; do
    local f
    f=$(find "$dir/root/usr/bin" "$dir/root/usr/sbin" -name "$b" -type f 2>/dev/null | head -n1)
    [ -n "$f" ] || die "the $PLUGIN_SUITE packages hold no $b"
    install -m 0755 "$f" "$dir/bin/$b"
  done
  rm -rf "$dir/root"
}

version() {
  local dir=$1
  "$dir/docker-compose" version --short
  "$dir/docker-buildx" version
}

case "${1:-}" in
  fetch) fetch "${2:?dir}" ;;
  install) install_plugin "${2:?dir}" "${3:?plugin}" "${4:?plugin dir}" "${5:-}" ;;
  version) version "${2:?dir}" ;;
  fetch-engine) fetch_engine "${2:?dir}" ;;
  *) echo "usage: $0 fetch <dir> | install <dir> <plugin> <plugin-dir> [owner] | version <dir> | fetch-engine <dir>" >&2; exit 2 ;;
esac
