# shellcheck shell=bash
# Sourced by scripts/test and .ci/run. Throwaway PostgreSQL and Redis on loopback.
#   install_services        apt-get install postgresql / redis-server / nodejs+npm when missing
#                           (node runs the official Socket.IO client in tests/e2e)
#   apt_install_packages P  apt-get install -y P... (apt-get update runs once per shell)
#   have_postgres / have_redis   true when the binaries are present
#   start_postgres DIR      initdb + start under DIR/pg, export SHAOBAO_TEST_POSTGRES_URL
#   start_redis DIR         start under DIR/redis, export SHAOBAO_TEST_REDIS_URL
#   stop_services           stop whatever start_* started (safe to call twice; use with trap EXIT)
# Functions return non-zero with a message instead of exiting, so callers decide.

_SHAOBAO_PG_BIN=""
_SHAOBAO_PG_DATA=""
_SHAOBAO_REDIS_PIDFILE=""
_SHAOBAO_APT_UPDATED=""

_shaobao_svc_err() {
  echo "services: $*" >&2
  return 1
}

_shaobao_python() {
  if command -v python3 >/dev/null 2>&1; then echo python3; else echo python; fi
}

# A port nobody listens on right now. Start-up retries on a fresh port if it is taken meanwhile.
_shaobao_free_port() {
  "$(_shaobao_python)" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Directory holding initdb, pg_ctl, pg_isready, createdb: highest /usr/lib/postgresql/*/bin, else PATH.
_shaobao_find_pg_bin() {
  local d tool
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r); do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres && -x $d/pg_isready && -x $d/createdb ]]; then
      echo "$d"
      return 0
    fi
  done
  tool="$(command -v initdb 2>/dev/null)" || return 1
  # /usr/local/bin may hold symlinks to only some tools; use the directory they point into.
  d="$(dirname "$(readlink -f "$tool")")"
  if [[ -x $d/pg_ctl && -x $d/postgres && -x $d/pg_isready && -x $d/createdb ]]; then
    echo "$d"
    return 0
  fi
  return 1
}

_shaobao_find_redis_server() {
  command -v redis-server 2>/dev/null && return 0
  [[ -x /usr/bin/redis-server ]] && echo /usr/bin/redis-server && return 0
  return 1
}

have_postgres() { _shaobao_find_pg_bin >/dev/null; }
have_redis() { _shaobao_find_redis_server >/dev/null; }
have_node() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }

_shaobao_as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    _shaobao_svc_err "need root (or passwordless sudo) to run: $*"
  fi
}

apt_install_packages() {
  command -v apt-get >/dev/null 2>&1 ||
    _shaobao_svc_err "apt-get not found; install $* by hand" || return 1
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
  if [[ -z $_SHAOBAO_APT_UPDATED ]]; then
    echo "services: apt-get update" >&2
    _shaobao_as_root "${apt[@]}" update -qq || _shaobao_svc_err "apt-get update failed" || return 1
    _SHAOBAO_APT_UPDATED=1
  fi
  echo "services: apt-get install $*" >&2
  _shaobao_as_root "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null ||
    _shaobao_svc_err "apt-get install $* failed" || return 1
}

install_services() {
  local pkgs=()
  have_postgres || pkgs+=(postgresql)
  have_redis || pkgs+=(redis-server)
  have_node || pkgs+=(nodejs npm)
  ((${#pkgs[@]})) || return 0
  apt_install_packages "${pkgs[@]}" || return 1
  # The packages may start their own cluster/daemon on the default ports; we never use them.
  have_postgres || _shaobao_svc_err "PostgreSQL binaries still missing after install" || return 1
  have_redis || _shaobao_svc_err "redis-server still missing after install" || return 1
  have_node || _shaobao_svc_err "node/npm still missing after install" || return 1
}

# PostgreSQL refuses to run as root: as root, run server-side tools as the postgres user.
_shaobao_pg_as_owner() {
  local dir="$1"
  shift
  if [[ $EUID -eq 0 ]]; then
    (cd "$dir" && runuser -u postgres -- env HOME="$dir" LC_ALL=C "$@")
  else
    (cd "$dir" && env LC_ALL=C "$@")
  fi
}

start_postgres() {
  local dir="${1:?start_postgres DIR}"
  local bin pg data sock log port attempt user=shaobao db=shaobao_test
  bin="$(_shaobao_find_pg_bin)" ||
    _shaobao_svc_err "PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin and PATH)" || return 1
  pg="$dir/pg"
  data="$pg/data"
  sock="$pg/sock"
  log="$pg/postgres.log"
  mkdir -p "$sock" || return 1
  if [[ $EUID -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 ||
      _shaobao_svc_err "running as root but there is no 'postgres' user to run PostgreSQL as" || return 1
    chown postgres: "$dir" && chown -R postgres: "$pg" || return 1
    runuser -u postgres -- test -w "$pg" ||
      _shaobao_svc_err "user postgres cannot reach $dir (a parent directory is closed to it);" \
        "use a DIR under /tmp" || return 1
  fi

  if ! _shaobao_pg_as_owner "$pg" "$bin/initdb" -D "$data" -A trust -U "$user" -E UTF8 --no-locale \
    --no-sync --no-instructions >"$pg/initdb.log" 2>&1; then
    tail -n 30 "$pg/initdb.log" >&2
    _shaobao_svc_err "initdb failed ($bin/initdb)" || return 1
  fi
  # Throwaway instance: durability off for speed; TCP on loopback only; socket inside DIR.
  cat >>"$data/postgresql.conf" <<EOF

# --- shaobao throwaway test instance ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF

  _SHAOBAO_PG_BIN="$bin"
  _SHAOBAO_PG_DATA="$data"
  for attempt in 1 2 3; do
    port="$(_shaobao_free_port)" || return 1
    if _shaobao_pg_as_owner "$pg" "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-p $port" start >/dev/null 2>&1; then
      break
    fi
    echo "services: PostgreSQL did not start on port $port (attempt $attempt)" >&2
    # A start that timed out may have left a postmaster behind; it would hold the data dir.
    _shaobao_pg_as_owner "$pg" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    port=""
  done
  if [[ -z $port ]]; then
    tail -n 30 "$log" >&2 2>/dev/null
    _SHAOBAO_PG_DATA=""
    _shaobao_svc_err "PostgreSQL failed to start (log: $log)" || return 1
  fi

  for _ in $(seq 1 60); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres -t 1 && break
    sleep 0.5
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres -t 1 || {
    tail -n 30 "$log" >&2
    _shaobao_svc_err "PostgreSQL on 127.0.0.1:$port is not ready (log: $log)"
    return 1
  }
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$db" ||
    _shaobao_svc_err "createdb $db failed" || return 1

  export SHAOBAO_TEST_POSTGRES_URL="postgresql://$user@127.0.0.1:$port/$db"
  echo "services: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data $data)" >&2
}

# PING over a raw socket until +PONG; no redis-cli needed.
_shaobao_redis_ping() {
  "$(_shaobao_python)" - "$1" "$2" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(64).startswith(b"+PONG"):
                raise SystemExit(0)
    except OSError:
        pass
    time.sleep(0.1)
raise SystemExit(1)
PY
}

start_redis() {
  local dir="${1:?start_redis DIR}"
  local server rdir pidfile log port attempt ok=""
  server="$(_shaobao_find_redis_server)" ||
    _shaobao_svc_err "redis-server not found (Debian package redis-server)" || return 1
  rdir="$dir/redis"
  pidfile="$rdir/redis.pid"
  log="$rdir/redis.log"
  mkdir -p "$rdir" || return 1
  for attempt in 1 2 3; do
    port="$(_shaobao_free_port)" || return 1
    rm -f "$pidfile"
    if "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --dir "$rdir" --pidfile "$pidfile" --logfile "$log" >/dev/null 2>&1; then
      _SHAOBAO_REDIS_PIDFILE="$pidfile"
      if _shaobao_redis_ping "$port" 15; then
        ok=1
        break
      fi
      _shaobao_stop_redis
    fi
    echo "services: Redis did not start on port $port (attempt $attempt)" >&2
  done
  if [[ -z $ok ]]; then
    tail -n 30 "$log" >&2 2>/dev/null
    _shaobao_svc_err "Redis failed to start (log: $log)" || return 1
  fi
  export SHAOBAO_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  echo "services: Redis $("$server" --version | grep -o 'v=[^ ]*' | cut -c3-) on 127.0.0.1:$port" >&2
}

_shaobao_wait_gone() {
  local pid="$1"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

_shaobao_stop_redis() {
  local pidfile="$_SHAOBAO_REDIS_PIDFILE" pid
  [[ -n $pidfile ]] || return 0
  _SHAOBAO_REDIS_PIDFILE=""
  # The daemon may still be writing its pidfile right after --daemonize returns.
  for _ in $(seq 1 20); do
    [[ -s $pidfile ]] && break
    sleep 0.1
  done
  pid="$(cat "$pidfile" 2>/dev/null)" || return 0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  _shaobao_wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; _shaobao_wait_gone "$pid"; }
}

_shaobao_stop_postgres() {
  local data="$_SHAOBAO_PG_DATA" pid
  [[ -n $data ]] || return 0
  _SHAOBAO_PG_DATA=""
  [[ -f $data/postmaster.pid ]] || return 0
  if ! _shaobao_pg_as_owner "$(dirname "$data")" "$_SHAOBAO_PG_BIN/pg_ctl" -D "$data" \
    -m fast -w -t 30 stop >/dev/null 2>&1; then
    pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null)" || return 0
    [[ -n $pid ]] || return 0
    kill -QUIT "$pid" 2>/dev/null
    _shaobao_wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; _shaobao_wait_gone "$pid"; }
  fi
}

stop_services() {
  _shaobao_stop_redis || true
  _shaobao_stop_postgres || true
  unset SHAOBAO_TEST_POSTGRES_URL SHAOBAO_TEST_REDIS_URL
}
