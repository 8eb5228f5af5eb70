#!/usr/bin/env bash
# Local infrastructure for tests, benchmarks and the demo: every real component on 127.0.0.1.
#
#   scripts/infra.sh up       install what is missing (Debian packages) and start everything; idempotent
#   scripts/infra.sh status   say what runs where (exit 1 when something is down)
#   scripts/infra.sh down     stop everything this script started
#   scripts/infra.sh env      print the endpoints as shell variables
#
# State lives in $DEPLOY_ACTIONS_INFRA (default /tmp/deploy-actions-infra); the endpoints, credentials and
# key paths are written to $DEPLOY_ACTIONS_INFRA/infra.json, which test/support/infra.ts reads.
# Nothing listens anywhere but 127.0.0.1, and dockerd runs without a bridge: containers use host networking.
set -euo pipefail

DIR=${DEPLOY_ACTIONS_INFRA:-/tmp/deploy-actions-infra}
REG1_PORT=${DA_REGISTRY_PORT:-5055}
REG2_PORT=${DA_REGISTRY2_PORT:-5056}
SSH_PORT=${DA_SSH_PORT:-2222}
PG_PORT=${DA_PG_PORT:-55432}
PROM_PORT=${DA_PROMETHEUS_PORT:-9099}
BASE_IMAGE=deploy-actions/busybox:latest
PG_BIN=${DA_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}
PG_USER_OS=da-postgres
# Field hosts: deploy targets as the field has them (see start_field_hosts).
FIELD_HOSTS=${DA_FIELD_HOSTS:-4}
FIELD_SSH_BASE=${DA_FIELD_SSH_BASE:-2230}     # host N's sshd listens on BASE+N
FIELD_PROXY_BASE=${DA_FIELD_PROXY_BASE:-2240} # and its far link (the latency proxy) on PROXY_BASE+N
FIELD_LINK_DELAY_MS=${DA_FIELD_LINK_DELAY_MS:-50}
FIELD_SHELL_DELAY=${DA_FIELD_SHELL_DELAY:-0.4}
# Compose as the field runs it: the v2 plugin (`docker compose`) in each deploy user's ~/.docker/cli-plugins,
# except on the legacy hosts listed here, which keep only docker-compose v1 (Debian bookworm's 1.29).
FIELD_COMPOSE_V1_HOSTS=${DA_FIELD_COMPOSE_V1_HOSTS:-4}
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

# --- install ---------------------------------------------------------------------------------------
need_cmds() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh >/dev/null || missing+=(openssh-client)
  command -v prometheus >/dev/null || missing+=(prometheus)
  command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 || missing+=(busybox-static)
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
  printf '%s\n' "${missing[@]}"
}
install() {
  local missing
  missing=$(need_cmds | sort -u | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages ($missing) and not root: install them with apt-get"
    log "installing: $missing"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    # Debian's packages start their services through init where there is one: we run our own, on loopback.
    for svc in docker-registry prometheus prometheus-node-exporter nginx ssh; do
      if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
    done
    pkill -x nginx 2>/dev/null || true
    pkill -x prometheus-node-exporter 2>/dev/null || pkill -f /usr/bin/prometheus-node-exporter 2>/dev/null || true
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
}

# --- helpers ---------------------------------------------------------------------------------------
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2; shift 2
  local i
  for ((i = 0; i < secs * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not become ready in ${secs}s (logs: $DIR/logs)"
}
rand() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }
secret_file() { # secret_file <path>: a generated secret kept across runs, 0600
  [ -s "$1" ] || { umask 077; rand >"$1"; }
  cat "$1"
}

# --- dockerd ---------------------------------------------------------------------------------------
start_docker() {
  if docker version >/dev/null 2>&1; then return 0; fi
  log "starting dockerd"
  # Compose files as users write them create bridge networks (one per project and a shared one per app): the
  # default pools hold about 30, too few for the suites running side by side. 1024 /24 networks here.
  nohup dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --default-address-pool base=10.160.0.0/14,size=24 \
    --pidfile "$DIR/run/dockerd.pid" >"$DIR/logs/dockerd.log" 2>&1 &
  wait_for dockerd 60 docker version
}
make_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  log "making $BASE_IMAGE from busybox-static (no hub pulls here)"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www" "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

# --- a second, newer engine -------------------------------------------------------------------------
# Debian trixie's dockerd 26.1 with the containerd image store, beside the lab's 20.10: what buildx's docker
# driver can do there (multi-platform, attestations, registry cache export) is tested for real. It has its own
# socket, data-root, exec-root (so its own managed containerd), pidfile and containerd namespaces, and no bridge.
ENGINE2="$DIR/engine2"
ENGINE2_SOCK="$DIR/run/docker2.sock"
start_docker2() {
  bash "$SCRIPTS/docker-plugins.sh" fetch-engine "$ENGINE2"
  if DOCKER_HOST="unix://$ENGINE2_SOCK" docker version >/dev/null 2>&1; then return 0; fi
  log "starting the second dockerd ($("$ENGINE2/bin/dockerd" --version)) on $ENGINE2_SOCK"
  mkdir -p "$ENGINE2/data" "$ENGINE2/exec"
  printf '{"features": {"containerd-snapshotter": true}}\n' >"$ENGINE2/daemon.json"
  PATH="$ENGINE2/bin:$PATH" nohup "$ENGINE2/bin/dockerd" --host "unix://$ENGINE2_SOCK" \
    --data-root "$ENGINE2/data" --exec-root "$ENGINE2/exec" --pidfile "$DIR/run/dockerd2.pid" \
    --config-file "$ENGINE2/daemon.json" \
    --containerd-namespace da-engine2 --containerd-plugins-namespace da-engine2-plugins \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false >"$DIR/logs/dockerd2.log" 2>&1 &
  wait_for "second dockerd" 60 env DOCKER_HOST="unix://$ENGINE2_SOCK" docker version
}

# --- Docker CLI plugins (scripts/docker-plugins.sh) ---------------------------------------------------
# buildx goes where GitHub's runners have it, a system plugin directory (found whatever DOCKER_CONFIG says);
# Compose v2 goes into root's own plugin directory (the runner and the near host) and each field host's user's.
PLUGINS="$DIR/plugins"
RUNNER_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
install_plugins() {
  bash "$SCRIPTS/docker-plugins.sh" fetch "$PLUGINS"
  bash "$SCRIPTS/docker-plugins.sh" install "$PLUGINS" docker-buildx "$RUNNER_PLUGIN_DIR"
  bash "$SCRIPTS/docker-plugins.sh" install "$PLUGINS" docker-compose "$HOME/.docker/cli-plugins"
  # Compose v2 must not become everyone's from a system directory: the legacy hosts run v1 only.
  rm -f "$RUNNER_PLUGIN_DIR/docker-compose"
}
field_compose_v1() { [[ ",$FIELD_COMPOSE_V1_HOSTS," == *",$1,"* ]]; }

# --- registries ------------------------------------------------------------------------------------
start_registry() { # start_registry <n> <port> <user>
  local n=$1 port=$2 user=$3 d="$DIR/registry$1"
  mkdir -p "$d/data"
  local pass
  pass=$(secret_file "$d/password")
  htpasswd -Bbn "$user" "$pass" >"$d/htpasswd" 2>/dev/null
  cat >"$d/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $d/data }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:$port
  secret: $(secret_file "$d/http-secret")
auth:
  htpasswd: { realm: deploy-actions-registry-$n, path: $d/htpasswd }
EOF
  if pid_alive "$DIR/run/registry$n.pid"; then return 0; fi
  log "starting docker-registry $n on 127.0.0.1:$port"
  nohup docker-registry serve "$d/config.yml" >"$DIR/logs/registry$n.log" 2>&1 &
  echo $! >"$DIR/run/registry$n.pid"
  wait_for "registry $n" 20 curl -fsS -o /dev/null -w '' -u "$user:$pass" "http://127.0.0.1:$port/v2/"
}

# --- sshd ------------------------------------------------------------------------------------------
start_sshd() {
  local d="$DIR/ssh"
  mkdir -p "$d" /run/sshd
  chmod 700 "$d"
  for t in ed25519 ecdsa rsa; do
    [ -f "$d/host_$t" ] || ssh-keygen -q -t "$t" -N '' -C "deploy-actions-test-host" -f "$d/host_$t"
  done
  [ -f "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "deploy-actions-test-client" -f "$d/id_ed25519"
  cp "$d/id_ed25519.pub" "$d/authorized_keys"
  chmod 600 "$d/authorized_keys"
  : >"$d/known_hosts"
  for t in ed25519 ecdsa rsa; do
    printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$d/host_$t.pub")" >>"$d/known_hosts"
  done
  cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
HostKey $d/host_ecdsa
HostKey $d/host_rsa
PidFile $DIR/run/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
MaxSessions 64
MaxStartups 64:30:128
ClientAliveInterval 15
Subsystem sftp internal-sftp
EOF
  if pid_alive "$DIR/run/sshd.pid"; then kill -HUP "$(cat "$DIR/run/sshd.pid")"; return 0; fi
  log "starting sshd on 127.0.0.1:$SSH_PORT"
  /usr/sbin/sshd -f "$d/sshd_config" -E "$DIR/logs/sshd.log"
  wait_for sshd 20 ssh -F /dev/null -i "$d/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes \
    -o UserKnownHostsFile="$d/known_hosts" -o StrictHostKeyChecking=yes root@127.0.0.1 true
}

# --- field hosts -----------------------------------------------------------------------------------
# Real deploy targets are not root on loopback with a fast shell. Each field host N has:
#   - its own sshd on 127.0.0.1:FIELD_SSH_BASE+N with its own host keys, pinned in known_hosts;
#   - its own non-root user da-deployN in the docker group, with a home, its own client key, and no
#     /usr/sbin on PATH (sshd's default PATH for non-root users);
#   - a ~/.bashrc that costs FIELD_SHELL_DELAY seconds before its interactive guard, as nvm, pyenv or conda
#     lines do, so every non-interactive SSH command pays it;
#   - a far link: the latency proxy (scripts/latency-proxy.mjs) on 127.0.0.1:FIELD_PROXY_BASE+N, which
#     holds every chunk FIELD_LINK_DELAY_MS in each direction. Tests connect through it.
# One dockerd serves them all; each user's state lives under its own home.
field_user() { printf 'da-deploy%s' "$1"; }
start_field_hosts() {
  local n
  for ((n = 1; n <= FIELD_HOSTS; n++)); do start_field_host "$n"; done
}
field_rc() {
  printf '%s\n' \
    '# A deploy host'"'"'s rc file as the field has it: version managers (nvm, pyenv, conda) initialise here,' \
    '# before the interactive guard, so every non-interactive SSH command pays for them.' \
    "sleep $FIELD_SHELL_DELAY" \
    'case $- in *i*) ;; *) return ;; esac'
}
field_sshd_config() { # field_sshd_config <n> <dir> <port> <user>
  printf '%s\n' "Port $3" "ListenAddress 127.0.0.1" "HostKey $2/host_ed25519" "HostKey $2/host_ecdsa" \
    "HostKey $2/host_rsa" "PidFile $DIR/run/sshd-host$1.pid" "AllowUsers $4" \
    "AuthorizedKeysFile .ssh/authorized_keys" "PermitRootLogin no" "PasswordAuthentication no" \
    "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes yes" "AllowTcpForwarding yes" \
    "MaxSessions 64" "MaxStartups 64:30:128" "ClientAliveInterval 15" "LogLevel VERBOSE" \
    "Subsystem sftp internal-sftp"
}
start_field_host() {
  local n=$1 d="$DIR/hosts/$1" user home port proxy t
  user=$(field_user "$n")
  port=$((FIELD_SSH_BASE + n))
  proxy=$((FIELD_PROXY_BASE + n))
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  usermod -a -G docker "$user"
  # Not locked (sshd refuses a locked account even with a key) and no password: keys only.
  usermod -p '*' "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  [ -n "$home" ] && [ -d "$home" ] || die "field host $n: no home directory for $user"
  chmod 755 "$home"
  mkdir -p "$d" "$home/.ssh" "$home/deploy-actions"
  chmod 700 "$d"
  for t in ed25519 ecdsa rsa; do
    [ -f "$d/host_$t" ] || ssh-keygen -q -t "$t" -N '' -C "deploy-actions-field-host-$n" -f "$d/host_$t"
  done
  [ -f "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "deploy-actions-field-client-$n" -f "$d/id_ed25519"
  cp "$d/id_ed25519.pub" "$home/.ssh/authorized_keys"
  field_rc >"$home/.bashrc"
  cp "$home/.bashrc" "$home/.profile"
  chown -R "$user:$user" "$home/.ssh" "$home/.bashrc" "$home/.profile" "$home/deploy-actions"
  if field_compose_v1 "$n"; then
    rm -f "$home/.docker/cli-plugins/docker-compose"
  else
    mkdir -p "$home/.docker"
    chown "$user:$user" "$home/.docker"
    bash "$SCRIPTS/docker-plugins.sh" install "$PLUGINS" docker-compose "$home/.docker/cli-plugins" "$user:$user"
  fi
  chmod 700 "$home/.ssh"
  chmod 600 "$home/.ssh/authorized_keys"
  : >"$d/known_hosts.tmp"
  for t in ed25519 ecdsa rsa; do
    printf '[127.0.0.1]:%s %s\n' "$proxy" "$(cut -d' ' -f1,2 "$d/host_$t.pub")" >>"$d/known_hosts.tmp"
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$d/host_$t.pub")" >>"$d/known_hosts.tmp"
  done
  mv "$d/known_hosts.tmp" "$d/known_hosts"
  field_sshd_config "$n" "$d" "$port" "$user" >"$d/sshd_config"
  if pid_alive "$DIR/run/sshd-host$n.pid"; then
    kill -HUP "$(cat "$DIR/run/sshd-host$n.pid")"
  else
    log "starting field host $n: sshd on 127.0.0.1:$port as $user, far link on 127.0.0.1:$proxy"
    /usr/sbin/sshd -f "$d/sshd_config" -E "$DIR/logs/sshd-host$n.log"
  fi
  if ! pid_alive "$DIR/run/latency-proxy$n.pid"; then
    nohup node "$SCRIPTS/latency-proxy.mjs" --listen "127.0.0.1:$proxy" --target "127.0.0.1:$port" \
      --delay-ms "$FIELD_LINK_DELAY_MS" --pid-file "$DIR/run/latency-proxy$n.pid" \
      >"$DIR/logs/latency-proxy$n.log" 2>&1 &
  fi
  wait_for "field host $n" 30 ssh -F /dev/null -i "$d/id_ed25519" -p "$proxy" -o BatchMode=yes \
    -o UserKnownHostsFile="$d/known_hosts" -o StrictHostKeyChecking=yes -- "$user@127.0.0.1" docker version
}

# --- PostgreSQL ------------------------------------------------------------------------------------
start_postgres() {
  local d="$DIR/pg"
  id "$PG_USER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_OS"
  mkdir -p "$d/run"
  local pass
  pass=$(secret_file "$d/password")
  if [ ! -f "$d/data/PG_VERSION" ]; then
    log "initdb in $d/data"
    (umask 077; printf '%s\n' "$pass" >"$d/pwfile")
    chown -R "$PG_USER_OS" "$d"
    runuser -u "$PG_USER_OS" -- "$PG_BIN/initdb" -D "$d/data" -U postgres --auth=scram-sha-256 \
      --pwfile="$d/pwfile" -E UTF8 --locale=C.UTF-8 >"$DIR/logs/initdb.log" 2>&1
    rm -f "$d/pwfile"
  fi
  chown -R "$PG_USER_OS" "$d/data" "$d/run"
  if runuser -u "$PG_USER_OS" -- "$PG_BIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then return 0; fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  runuser -u "$PG_USER_OS" -- "$PG_BIN/pg_ctl" -D "$d/data" -w -t 60 -l "$d/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$d/run -c max_connections=200 -c fsync=off" \
    start >/dev/null
}

# --- Prometheus ------------------------------------------------------------------------------------
start_prometheus() {
  local d="$DIR/prometheus"
  mkdir -p "$d/data" "$d/targets"
  cat >"$d/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: deploy-actions-tests
    file_sd_configs:
      - files: ['$d/targets/*.json']
        refresh_interval: 1s
EOF
  if pid_alive "$DIR/run/prometheus.pid"; then return 0; fi
  log "starting Prometheus on 127.0.0.1:$PROM_PORT"
  nohup prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle --storage.tsdb.retention.time=2h \
    >"$DIR/logs/prometheus.log" 2>&1 &
  echo $! >"$DIR/run/prometheus.pid"
  wait_for prometheus 30 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready"
}

# --- the description tests read --------------------------------------------------------------------
write_env() {
  local r1 r2 pg
  r1=$(cat "$DIR/registry1/password"); r2=$(cat "$DIR/registry2/password"); pg=$(cat "$DIR/pg/password")
  local hosts='[]' n user home compose
  for ((n = 1; n <= FIELD_HOSTS; n++)); do
    user=$(field_user "$n")
    if field_compose_v1 "$n"; then compose=v1; else compose=v2; fi
    home=$(getent passwd "$user" | cut -d: -f6)
    hosts=$(jq -c --arg name "host$n" --argjson port $((FIELD_PROXY_BASE + n)) \
      --argjson direct $((FIELD_SSH_BASE + n)) --arg user "$user" --arg home "$home" --arg d "$DIR/hosts/$n" \
      --arg run "$DIR/run" --arg logs "$DIR/logs" --argjson delay "$FIELD_LINK_DELAY_MS" \
      --arg shell "$FIELD_SHELL_DELAY" --arg i "$n" --arg compose "$compose" \
      '. + [{name: $name, compose: $compose, host: "127.0.0.1", port: $port, directPort: $direct, user: $user, home: $home,
             stateDir: ($home + "/deploy-actions"), keyPath: ($d + "/id_ed25519"),
             knownHostsPath: ($d + "/known_hosts"),
             hostKeys: {ed25519: ($d + "/host_ed25519.pub"), ecdsa: ($d + "/host_ecdsa.pub"), rsa: ($d + "/host_rsa.pub")},
             sshdLog: ($logs + "/sshd-host" + $i + ".log"),
             proxy: {pidFile: ($run + "/latency-proxy" + $i + ".pid"), log: ($logs + "/latency-proxy" + $i + ".log"),
                     delayMs: $delay},
             shellDelaySeconds: ($shell | tonumber)}]' <<<"$hosts")
  done
  jq -n --argjson hosts "$hosts" --arg dir "$DIR" --arg base "$BASE_IMAGE" \
    --arg r1 "127.0.0.1:$REG1_PORT" --arg r1p "$r1" --arg r2 "127.0.0.1:$REG2_PORT" --arg r2p "$r2" \
    --argjson sshPort "$SSH_PORT" --arg ssh "$DIR/ssh" \
    --argjson pgPort "$PG_PORT" --arg pgp "$pg" --arg pgBin "$PG_BIN" --arg pgRun "$DIR/pg/run" \
    --arg prom "http://127.0.0.1:$PROM_PORT" --arg promTargets "$DIR/prometheus/targets" \
    --arg runnerPlugins "$RUNNER_PLUGIN_DIR" --arg engine2 "unix://$ENGINE2_SOCK" \
    --arg engine2Version "$(DOCKER_HOST="unix://$ENGINE2_SOCK" docker version --format '{{.Server.Version}}')" \
    '{dir: $dir,
      docker: {socket: "/var/run/docker.sock", baseImage: $base, runnerPluginDir: $runnerPlugins,
              engine2: {host: $engine2, version: $engine2Version}},
      registries: [{host: $r1, username: "deploy", password: $r1p}, {host: $r2, username: "deploy2", password: $r2p}],
      ssh: {host: "127.0.0.1", port: $sshPort, user: "root", keyPath: ($ssh + "/id_ed25519"),
            knownHostsPath: ($ssh + "/known_hosts"),
            hostKeys: {ed25519: ($ssh + "/host_ed25519.pub"), ecdsa: ($ssh + "/host_ecdsa.pub"), rsa: ($ssh + "/host_rsa.pub")}},
      postgres: {host: "127.0.0.1", port: $pgPort, user: "postgres", password: $pgp, bin: $pgBin, socketDir: $pgRun,
                 url: ("postgres://postgres:" + $pgp + "@127.0.0.1:" + ($pgPort|tostring) + "/postgres")},
      prometheus: {url: $prom, targetsDir: $promTargets},
      hosts: $hosts}' >"$DIR/infra.json.tmp"
  chmod 600 "$DIR/infra.json.tmp"
  mv "$DIR/infra.json.tmp" "$DIR/infra.json"
}

status() {
  local ok=0
  check() { if "${@:2}" >/dev/null 2>&1; then printf '  %-12s up\n' "$1"; else printf '  %-12s DOWN\n' "$1"; ok=1; fi; }
  echo "infra in $DIR:"
  check dockerd docker version
  check base-image docker image inspect "$BASE_IMAGE"
  check dockerd2 env DOCKER_HOST="unix://$ENGINE2_SOCK" docker version
  check registry1 pid_alive "$DIR/run/registry1.pid"
  check registry2 pid_alive "$DIR/run/registry2.pid"
  check sshd pid_alive "$DIR/run/sshd.pid"
  check postgres "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  check prometheus pid_alive "$DIR/run/prometheus.pid"
  local n
  for ((n = 1; n <= FIELD_HOSTS; n++)); do
    check "field host$n" pid_alive "$DIR/run/sshd-host$n.pid"
    check "far link $n" pid_alive "$DIR/run/latency-proxy$n.pid"
  done
  return $ok
}

down() {
  local n fields=()
  for ((n = 1; n <= FIELD_HOSTS; n++)); do fields+=("sshd-host$n" "latency-proxy$n"); done
  for p in prometheus registry1 registry2 sshd "${fields[@]}"; do
    if pid_alive "$DIR/run/$p.pid"; then kill "$(cat "$DIR/run/$p.pid")" 2>/dev/null || true; fi
    rm -f "$DIR/run/$p.pid"
  done
  if [ -f "$DIR/pg/data/PG_VERSION" ]; then
    runuser -u "$PG_USER_OS" -- "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
  fi
  if pid_alive "$DIR/run/dockerd2.pid"; then
    DOCKER_HOST="unix://$ENGINE2_SOCK" docker ps -q | xargs -r env DOCKER_HOST="unix://$ENGINE2_SOCK" docker rm -f >/dev/null 2>&1 || true
    kill "$(cat "$DIR/run/dockerd2.pid")" 2>/dev/null || true
  fi
  if pid_alive "$DIR/run/dockerd.pid"; then
    docker ps -q | xargs -r docker rm -f >/dev/null 2>&1 || true
    kill "$(cat "$DIR/run/dockerd.pid")" 2>/dev/null || true
  fi
  log "stopped"
}

case "${1:-}" in
  up)
    install
    mkdir -p "$DIR/run" "$DIR/logs"
    chmod 755 "$DIR"
    start_docker
    start_docker2
    install_plugins
    make_base_image
    start_registry 1 "$REG1_PORT" deploy
    start_registry 2 "$REG2_PORT" deploy2
    start_sshd
    start_field_hosts
    start_postgres
    start_prometheus
    write_env
    status
    ;;
  status) status ;;
  down) down ;;
  env) jq -r '"DA_INFRA_JSON=\(.dir)/infra.json"' "$DIR/infra.json" ;;
  install) install ;;
  *) echo "usage: $0 up|status|down|env|install" >&2; exit 2 ;;
esac
