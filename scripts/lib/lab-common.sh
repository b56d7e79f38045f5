# Helpers shared by the test-lab scripts (sourced, not run). The caller sets SCRIPT_NAME first.
#
# The lab's daemons (libvirtd, virtlogd, sshd, uWSGI, glance-api) are started by hand from pid
# files, and the scripts must cope with the state a machine is left in: a pid file whose process
# died (or whose pid was reused by another program after a restart), a daemon that is alive but no
# longer answers, and guests left running by a test run that was killed before its clean-up.

START=${START:-$(date +%s.%N)}
log() { printf '== %s: %s\n' "$SCRIPT_NAME" "$*"; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# alive PIDFILE [COMM]: the pid file names a live process, whose command name is COMM when given.
alive() {
  [ -s "$1" ] || return 1
  local pid
  pid=$(head -n1 "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# stop_pidfile PIDFILE [COMM]: SIGTERM, SIGKILL after 5 s; removes the pid file.
stop_pidfile() {
  if alive "$@"; then
    local pid
    pid=$(head -n1 "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid ($1) ignored SIGTERM for 5 s: SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$1"
}

# apt_install PACKAGE...: installs what is missing (apt-get update only when the install needs it).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# answers SECONDS URI: libvirtd at URI answers `virsh version --daemon` within SECONDS.
answers() { timeout -k 2 "$1" virsh -c "$2" version --daemon >/dev/null 2>&1; }

# reap_lab_guests URI ROOT...: destroys and undefines every domain of libvirtd at URI that has a
# disk under one of the ROOT directories (where the lab's tests keep their instances). Only run it
# when no test is running: the lab's guests are all test guests, and any found then are leftovers
# of a killed run (a TCG guest left running costs CPU for as long as the machine is up).
reap_lab_guests() {
  local uri=$1 name src root hit reaped=0
  shift
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    hit=0
    while IFS= read -r src; do
      for root in "$@"; do case "$src" in "$root"/*) hit=1 ;; esac; done
    done < <(timeout 20 virsh -c "$uri" domblklist --details -- "$name" 2>/dev/null | awk 'NR > 2 && NF >= 4 { print $4 }')
    [ "$hit" = 1 ] || continue
    timeout 30 virsh -c "$uri" destroy -- "$name" >/dev/null 2>&1 || true
    timeout 30 virsh -c "$uri" undefine --managed-save --snapshots-metadata --nvram -- "$name" >/dev/null 2>&1 || true
    reaped=$((reaped + 1))
  done < <(timeout 20 virsh -c "$uri" list --all --name 2>/dev/null)
  [ "$reaped" = 0 ] || log "removed $reaped guest(s) left by earlier test runs from $uri"
}
