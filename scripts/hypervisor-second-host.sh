#!/usr/bin/env bash
# A second "hypervisor host" on this machine, for cross-host migration tests. Run it after
# scripts/hypervisor-setup.sh (it reuses that lab's packages, qemu.conf, client key and guest).
#
# Host 2 is a second libvirtd (+ virtlogd) in its own mount namespace (`unshare -m`, private
# propagation), as ../shared/reference/hypervisor-lab.md §7 found to work, with private directories
# bind-mounted over /run/libvirt, /var/lib/libvirt/qemu, /var/cache/libvirt, /var/log/libvirt,
# /etc/libvirt (a copy with its own host_uuid, so libvirt sees two hosts) and
# /var/lib/libvirt/dnsmasq, plus a second private sshd on 127.0.0.1:$NOVA_TS_LAB_HOST2_SSH_PORT
# (2223) started INSIDE that namespace: `ssh -p 2223 ... virsh -c qemu:///system` reaches libvirtd #2,
# and every file command run through it sees host 2's files.
#
# Storage: the instances root $LAB/instances is a plain directory on host 1; inside host 2's
# namespace $LAB/host2/instances is bind-mounted over the same path. Both computes of a test use the
# same instances_path (under $LAB/instances, like Nova's one instances_path on every host) but the
# disks are separate: a migration really has to copy them, and host 1 cannot see host 2's files
# (from the main namespace they are visible only under $LAB/host2/instances, which tests use to check).
#
# Writes $LAB/second-host.env (KEY=VALUE, read by test/utils/hypervisor-lab.ts as `secondHost`), and
# $LAB/host2/ssh/known_hosts holding both hosts' keys (clients of both hosts use that one file).
# Idempotent: keeps keys, the host uuid and host 2's domain definitions; starts only what is down.
# Environment: NOVA_TS_LAB_DIR (default /var/lib/nova-ts-lab), NOVA_TS_LAB_HOST2_SSH_PORT (2223).
set -euo pipefail
export LC_ALL=C

LAB=${NOVA_TS_LAB_DIR:-/var/lib/nova-ts-lab}
PORT=${NOVA_TS_LAB_HOST2_SSH_PORT:-2223}
H2=$LAB/host2
SCRIPT_NAME=hypervisor-second-host
# shellcheck source=lib/lab-common.sh
. "$(dirname "$0")/lib/lab-common.sh"

[ "$(id -u)" = 0 ] || die "must run as root"
[[ "$LAB" =~ ^/[A-Za-z0-9_./-]+$ ]] || die "NOVA_TS_LAB_DIR must be an absolute path of letters, digits, _ . / -"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "NOVA_TS_LAB_HOST2_SSH_PORT must be a number"
[ -s "$LAB/lab.env" ] || die "$LAB/lab.env is absent: run scripts/hypervisor-setup.sh first"
[ -s "$LAB/ssh/id_ed25519" ] && [ -s "$LAB/ssh/authorized_keys" ] || die "the lab's client key is missing: run scripts/hypervisor-setup.sh"
command -v unshare >/dev/null && command -v nsenter >/dev/null || die "unshare/nsenter (util-linux) are required"

install -d -m 0755 "$LAB/instances" "$H2" "$H2/run-libvirt" "$H2/lib-qemu" "$H2/cache" "$H2/log/qemu" "$H2/dnsmasq" "$H2/instances" "$H2/pids"
install -d -m 0700 "$H2/ssh"

# ---------------------------------------------------------------- libvirt configuration of host 2
[ -s "$H2/host_uuid" ] || cat /proc/sys/kernel/random/uuid >"$H2/host_uuid"
HOST_UUID=$(cat "$H2/host_uuid")
if [ ! -d "$H2/etc-libvirt" ]; then
  log "copying /etc/libvirt for host 2 (host_uuid $HOST_UUID)"
  cp -a /etc/libvirt "$H2/etc-libvirt.tmp"
  # Host 1's persistent domains and networks are not host 2's.
  find "$H2/etc-libvirt.tmp/qemu" -maxdepth 1 -name '*.xml' -delete
  rm -f "$H2/etc-libvirt.tmp/qemu/autostart/"* "$H2/etc-libvirt.tmp/qemu/networks/autostart/"*
  mv "$H2/etc-libvirt.tmp" "$H2/etc-libvirt"
fi
# qemu.conf follows host 1's (the lab's QEMU-as-root lines); libvirtd.conf gets host 2's uuid.
cp /etc/libvirt/qemu.conf "$H2/etc-libvirt/qemu.conf"
sed -i '/^host_uuid *=/d' "$H2/etc-libvirt/libvirtd.conf"
printf 'host_uuid = "%s"\n' "$HOST_UUID" >>"$H2/etc-libvirt/libvirtd.conf"

# ---------------------------------------------------------------- the namespace and its daemons
URI2="qemu+unix:///system?socket=$H2/run-libvirt/libvirt-sock"
if alive "$H2/pids/libvirtd.pid" libvirtd && ! answers 20 "$URI2"; then
  log "libvirtd #2 is running but does not answer within 20 s: restarting host 2"
  stop_pidfile "$H2/pids/libvirtd.pid" libvirtd
fi
if ! alive "$H2/pids/libvirtd.pid" libvirtd; then
  # A half-dead host 2 (libvirtd gone): stop what we started there and build the namespace anew.
  stop_pidfile "$H2/ssh/sshd.pid" sshd
  stop_pidfile "$H2/pids/virtlogd.pid" virtlogd
  rm -f "$H2/pids/libvirtd.pid"
  log "starting libvirtd #2 in a private mount namespace"
  unshare -m --propagation private env H2="$H2" LAB="$LAB" bash -euc '
    mount --bind "$H2/run-libvirt" /run/libvirt
    mount --bind "$H2/lib-qemu" /var/lib/libvirt/qemu
    mount --bind "$H2/cache" /var/cache/libvirt
    mount --bind "$H2/log" /var/log/libvirt
    mount --bind "$H2/etc-libvirt" /etc/libvirt
    mkdir -p /var/lib/libvirt/dnsmasq && mount --bind "$H2/dnsmasq" /var/lib/libvirt/dnsmasq
    mount --bind "$H2/instances" "$LAB/instances"
    virtlogd -d -p "$H2/pids/virtlogd.pid"
    LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d -p "$H2/pids/libvirtd.pid"
  '
  for _ in $(seq 1 100); do alive "$H2/pids/libvirtd.pid" libvirtd && break; sleep 0.1; done
fi
alive "$H2/pids/libvirtd.pid" libvirtd || die "libvirtd #2 did not start (see $H2/log/libvirtd.log)"
NS_PID=$(cat "$H2/pids/libvirtd.pid")
in_ns() { nsenter -t "$NS_PID" -m -- "$@"; }
for _ in $(seq 1 100); do answers 5 "$URI2" && break; sleep 0.1; done
answers 20 "$URI2" || die "libvirtd #2 does not answer on $URI2 (see $H2/log/libvirtd.log)"
if [ "${NOVA_TS_LAB_REAP:-0}" = 1 ]; then reap_lab_guests "$URI2" "$LAB/instances"; fi
# (grep reads the whole output: with pipefail, grep -q would make virsh die of SIGPIPE.)
has_uuid() { grep -c "<uuid>$HOST_UUID</uuid>" >/dev/null; }
virsh -c "$URI2" capabilities | has_uuid || die "libvirtd #2 does not report host_uuid $HOST_UUID"

# ---------------------------------------------------------------- sshd #2, inside the namespace
[ -s "$H2/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C nova-ts-lab-host2 -f "$H2/ssh/ssh_host_ed25519_key"
chmod 600 "$H2/ssh/ssh_host_ed25519_key"
host2_pub=$(cut -d' ' -f1,2 "$H2/ssh/ssh_host_ed25519_key.pub")
HOST2_FP=$(ssh-keygen -l -E sha256 -f "$H2/ssh/ssh_host_ed25519_key.pub" | awk '{print $2}')
# One known_hosts for clients of both hosts: host 1's lines (rewritten by hypervisor-setup.sh) + host 2's.
{ cat "$LAB/ssh/known_hosts"; printf '[127.0.0.1]:%s %s\n[localhost]:%s %s\n' "$PORT" "$host2_pub" "$PORT" "$host2_pub"; } >"$H2/ssh/known_hosts.new"
mv "$H2/ssh/known_hosts.new" "$H2/ssh/known_hosts"
lab_sshd_config "$PORT" "$H2/ssh/ssh_host_ed25519_key" "$H2/ssh/sshd.pid" "$LAB/ssh/authorized_keys" >"$H2/ssh/sshd_config.new"
sshd_changed=0
cmp -s "$H2/ssh/sshd_config.new" "$H2/ssh/sshd_config" || sshd_changed=1
mv "$H2/ssh/sshd_config.new" "$H2/ssh/sshd_config"
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$H2/ssh/sshd_config" || die "sshd rejects $H2/ssh/sshd_config"
if alive "$H2/ssh/sshd.pid" sshd && [ "$sshd_changed" = 1 ]; then
  log "restarting sshd #2 (config changed)"
  stop_pidfile "$H2/ssh/sshd.pid" sshd
fi
if ! alive "$H2/ssh/sshd.pid" sshd; then
  log "starting sshd #2 on 127.0.0.1:$PORT inside host 2's namespace"
  rm -f "$H2/ssh/sshd.pid"
  in_ns /usr/sbin/sshd -f "$H2/ssh/sshd_config" -E "$H2/ssh/sshd.log"
fi

# ---------------------------------------------------------------- checks: SSH reaches host 2, not host 1
ssh2() {
  ssh -p "$PORT" -i "$LAB/ssh/id_ed25519" -o UserKnownHostsFile="$H2/ssh/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 "$@"
}
ssh2_virsh_ok() { # tries for up to ~10 s
  for _ in $(seq 1 50); do
    ssh2 timeout 15 virsh -c qemu:///system version --daemon >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
if ! ssh2_virsh_ok && alive "$H2/ssh/sshd.pid" sshd; then
  log "sshd #2 is running but virsh over it fails: restarting it"
  stop_pidfile "$H2/ssh/sshd.pid" sshd
  in_ns /usr/sbin/sshd -f "$H2/ssh/sshd_config" -E "$H2/ssh/sshd.log"
fi
ssh2_virsh_ok || die "cannot ssh to root@127.0.0.1:$PORT and run virsh (see $H2/ssh/sshd.log; is the port taken?)"
ssh2 virsh -c qemu:///system capabilities | has_uuid \
  || die "ssh to port $PORT reaches a libvirtd that is not host 2 (sshd #2 is not in host 2's namespace?)"
probe=".second-host-probe-$$"
touch "$H2/instances/$probe"
ssh2 test -e "$LAB/instances/$probe" || { rm -f "$H2/instances/$probe"; die "host 2 does not see its own instances storage at $LAB/instances"; }
[ ! -e "$LAB/instances/$probe" ] || { rm -f "$H2/instances/$probe"; die "host 1 sees host 2's instances storage"; }
rm -f "$H2/instances/$probe"
# libvirt's own libssh transport (used by live migration) verifies host 2's key with this known_hosts.
LIVE_URI_CHECK="qemu+libssh://root@127.0.0.1:$PORT/system?keyfile=$LAB/ssh/id_ed25519&known_hosts=$H2/ssh/known_hosts&known_hosts_verify=normal&sshauth=privkey"
virsh -c "$LIVE_URI_CHECK" capabilities 2>/dev/null | has_uuid \
  || die "virsh cannot reach host 2 through qemu+libssh (host-key checked): virsh -c '$LIVE_URI_CHECK' capabilities"

cat >"$LAB/second-host.env.new" <<EOF
# Written by scripts/hypervisor-second-host.sh. KEY=VALUE; values contain no spaces or quotes.
NOVA_TS_LAB_HOST2_SSH_HOST=127.0.0.1
NOVA_TS_LAB_HOST2_SSH_PORT=$PORT
NOVA_TS_LAB_HOST2_SSH_USER=root
NOVA_TS_LAB_HOST2_KNOWN_HOSTS=$H2/ssh/known_hosts
NOVA_TS_LAB_HOST2_HOST_KEY_FINGERPRINT=$HOST2_FP
NOVA_TS_LAB_HOST2_HOST_UUID=$HOST_UUID
NOVA_TS_LAB_HOST2_LIBVIRT_URI_FROM_HOST1=$URI2
NOVA_TS_LAB_HOST2_LIBVIRTD_PID_FILE=$H2/pids/libvirtd.pid
NOVA_TS_LAB_HOST2_SSHD_PID_FILE=$H2/ssh/sshd.pid
NOVA_TS_LAB_INSTANCES_ROOT=$LAB/instances
NOVA_TS_LAB_HOST2_INSTANCES_FROM_HOST1=$H2/instances
EOF
mv "$LAB/second-host.env.new" "$LAB/second-host.env"
log "host 2 ready: ssh root@127.0.0.1:$PORT, libvirtd pid $NS_PID, host_uuid $HOST_UUID ($(elapsed) s)"
