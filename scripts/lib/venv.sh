# shellcheck shell=bash
# Sourced by scripts/test, scripts/run and friends. Provides:
#   ensure_venv [runtime|dev]   create .venv at the repo root if needed, install the lock
#                               requirements/LOCK.txt (default runtime) with its hashes and the
#                               project editable (again whenever the lock or the install's
#                               part of pyproject.toml changed), then activate the venv
#                               (VIRTUAL_ENV, PATH) in the calling shell.
#                               docs/dependencies.md tells the whole story.
#       runtime: the dependencies and gunicorn/gevent (scripts/run, scripts/serve)
#       dev:     those and the test and check tools (scripts/test, scripts/check, CI)
# Functions return non-zero with a message instead of exiting, so callers decide.

_SHAOBAO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_SHAOBAO_MIN_PY="3.11"

_shaobao_venv_die() {
  echo "ensure_venv: $*" >&2
  return 1
}

# True when "$1" runs, is at least 3.11 and can build a venv with pip in it.
_shaobao_python_ok() {
  "$1" - <<'PY' >/dev/null 2>&1
import sys
if sys.version_info < (3, 11):
    raise SystemExit(1)
import venv, ensurepip  # Debian's python3 lacks ensurepip until python3-venv is installed
ensurepip.version()
PY
}

# Prints the interpreter to build the venv with. SHAOBAO_PYTHON wins when set.
_shaobao_pick_python() {
  local candidates=() c
  if [[ -n ${SHAOBAO_PYTHON:-} ]]; then
    candidates=("$SHAOBAO_PYTHON")
  else
    # The project targets 3.11; newer ones are accepted when 3.11 is absent.
    candidates=(python3.11 python3 python3.12 python3.13 python3.14)
  fi
  for c in "${candidates[@]}"; do
    command -v "$c" >/dev/null 2>&1 || continue
    if _shaobao_python_ok "$c"; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

_shaobao_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
  fi
}

# The lock a caller asks for; the extras names callers used before the locks still work.
_shaobao_lock_name() {
  case "${1:-runtime}" in
    runtime | serve) echo runtime ;;
    dev | test | check) echo dev ;;
    *) return 1 ;;
  esac
}

# What an install of lock $1 is made from: the lock, and the parts of pyproject.toml an
# install reads (not the tools' settings: tuning ruff reinstalls nothing).
_shaobao_install_stamp() {
  local root="$_SHAOBAO_ROOT" digest
  digest="$("$root/.venv/bin/python" "$root/scripts/lib/lockfile.py" install-digest --root "$root")" || return 1
  echo "$(_shaobao_sha256 "$root/requirements/$1.txt") $digest"
}

# Installs requirements/$1.txt and the project into the venv at $2 unless its stamp says it is
# there already; a new stamp brings a new install.
_shaobao_install_lock() {
  local name="$1" venv="$2" root="$_SHAOBAO_ROOT"
  local lock="$root/requirements/$name.txt" vpy="$venv/bin/python"
  local stamp="$venv/.shaobao-lock-$name" want log
  [[ -f $lock ]] || _shaobao_venv_die "no lock file $lock (scripts/lock makes it)" || return 1
  want="$(_shaobao_install_stamp "$name")" || _shaobao_venv_die "could not read pyproject.toml" || return 1
  [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && return 0

  # A stale lock installs fine but misses what pyproject.toml added: say so, scripts/check fails.
  "$vpy" "$root/scripts/lib/lockfile.py" check --root "$root" ||
    echo "ensure_venv: WARNING: installing from a stale lock (see above)" >&2
  echo "ensure_venv: installing requirements/$name.txt into .venv (lock changed or first run)..." >&2
  rm -f "$stamp"
  log="$venv/pip-install.log"
  if ! (cd "$root" && export PIP_DISABLE_PIP_VERSION_CHECK=1 &&
    "$vpy" -m pip install --require-hashes -r "$lock" &&
    "$vpy" -m pip install --no-deps -e .) >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    _shaobao_venv_die "installing requirements/$name.txt or the project failed (full log: $log)" || return 1
  fi
  echo "$want" >"$stamp"
}

ensure_venv() {
  local lock_name
  local root="$_SHAOBAO_ROOT"
  local venv="$root/.venv"
  local vpy="$venv/bin/python"
  local py

  lock_name="$(_shaobao_lock_name "${1:-}")" ||
    _shaobao_venv_die "unknown lock '$1' (runtime or dev)" || return 1
  [[ -f $root/pyproject.toml ]] || _shaobao_venv_die "no pyproject.toml in $root" || return 1

  if [[ -d $venv ]] && ! "$vpy" -c 'pass' >/dev/null 2>&1; then
    # Usually the interpreter it was built from moved or was removed (pyenv upgrade).
    echo "ensure_venv: $venv is broken (its python does not run); recreating it" >&2
    rm -rf "$venv"
  fi

  if [[ ! -d $venv ]]; then
    if ! py="$(_shaobao_pick_python)"; then
      _shaobao_venv_die "no usable Python >= $_SHAOBAO_MIN_PY with venv support found" \
        "(tried ${SHAOBAO_PYTHON:-python3.11 python3 python3.12 python3.13 python3.14})." \
        "Install python3.11 and python3-venv (Debian: apt-get install python3-venv)," \
        "or point SHAOBAO_PYTHON at an interpreter." || return 1
    fi
    echo "ensure_venv: creating $venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))" >&2
    if ! "$py" -m venv "$venv"; then
      rm -rf "$venv"
      _shaobao_venv_die "'$py -m venv $venv' failed" || return 1
    fi
  fi

  if ! "$vpy" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
    _shaobao_venv_die "$venv runs Python $("$vpy" -c 'import platform; print(platform.python_version())')," \
      "but $_SHAOBAO_MIN_PY+ is required. Remove it (rm -rf $venv) and run again." || return 1
  fi

  _shaobao_install_lock "$lock_name" "$venv" || return 1
  # The dev lock holds every runtime pin (scripts/check makes sure): it serves scripts/run too.
  if [[ $lock_name == dev ]]; then
    _shaobao_install_stamp runtime >"$venv/.shaobao-lock-runtime" || rm -f "$venv/.shaobao-lock-runtime"
  fi

  export VIRTUAL_ENV="$venv"
  case ":$PATH:" in
    *":$venv/bin:"*) ;;
    *) export PATH="$venv/bin:$PATH" ;;
  esac
  unset PYTHONHOME
  hash -r
  return 0
}
