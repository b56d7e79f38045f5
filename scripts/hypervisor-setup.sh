#!/usr/bin/env bash
# The hypervisor lab the libvirt driver's tests run against, on this machine (root, no systemd):
#   - Debian's libvirt + QEMU (TCG only: /dev/kvm exists on CI-like machines but KVM guests hang),
#     virtlogd + libvirtd started by hand;
#   - a private sshd on 127.0.0.1:$NOVA_TS_LAB_SSH_PORT (2222), key-only root login, with a generated
#     host key, client key pair and known_hosts;
#   - a tiny guest built from Debian packages: the cloud kernel (apt-get download + dpkg -x, no
#     kernel is installed) and a busybox initramfs whose /init prints NOVA-TS-GUEST-UP on ttyS0,
#     powers off on the ACPI power button, echoes lines typed on the VGA console's keyboard to
#     ttyS0 as NOVA-TS-KEYS: <line>, and stays up. It needs >= 96 MiB of RAM (use 128).
# Writes $NOVA_TS_LAB_DIR/lab.env (KEY=VALUE lines, no quoting needed) that the tests read.
# Idempotent: a re-run installs nothing new, keeps keys, restarts only what is down or reconfigured.
# See ../shared/reference/hypervisor-lab.md for what this is based on.
#
# Environment: NOVA_TS_LAB_DIR (default /var/lib/nova-ts-lab), NOVA_TS_LAB_SSH_PORT (2222),
# NOVA_TS_LAB_QEMU_AS_ROOT (1: QEMU runs as root, so guests may use files in private 0700 dirs),
# NOVA_TS_LAB_SMOKE (auto: boot the guest once with bare QEMU after (re)building it; 1: always; 0: never).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C

LAB=${NOVA_TS_LAB_DIR:-/var/lib/nova-ts-lab}
SSH_PORT=${NOVA_TS_LAB_SSH_PORT:-2222}
QEMU_AS_ROOT=${NOVA_TS_LAB_QEMU_AS_ROOT:-1}
SMOKE=${NOVA_TS_LAB_SMOKE:-auto}
MARKER=NOVA-TS-GUEST-UP
PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils busybox-static openssh-server socat cpio kmod)
# Guest modules, in load order (virtio after virtio_ring); dependencies are added by modinfo.
GUEST_MODULES=(button evdev virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio virtio_pci virtio_blk
  failover net_failover virtio_net virtio_balloon)

SCRIPT_NAME=hypervisor-setup
# shellcheck source=lib/lab-common.sh
. "$(dirname "$0")/lib/lab-common.sh"

[ "$(id -u)" = 0 ] || die "must run as root"
case "$LAB" in /*) ;; *) die "NOVA_TS_LAB_DIR must be an absolute path" ;; esac
# lab.env is read without a shell parser: keep values free of spaces and shell metacharacters.
[[ "$LAB" =~ ^[A-Za-z0-9_./-]+$ ]] || die "NOVA_TS_LAB_DIR may only contain letters, digits, _ . / -"
[[ "$SSH_PORT" =~ ^[0-9]+$ ]] || die "NOVA_TS_LAB_SSH_PORT must be a number"
SELF_HASH=$(sha256sum "$0" | cut -c1-16)

# ---------------------------------------------------------------- packages
apt_install "${PACKAGES[@]}"

install -d -m 0755 "$LAB" "$LAB/guest" "$LAB/kernel"
install -d -m 0700 "$LAB/ssh" "$LAB/build"

# ---------------------------------------------------------------- libvirt (no systemd)
mkdir -p /run/libvirt /var/log/libvirt/qemu
qemu_conf_changed=0
QEMU_CONF=/etc/libvirt/qemu.conf
if [ "$QEMU_AS_ROOT" = 1 ] && ! grep -q '^# nova-ts-lab: begin' "$QEMU_CONF"; then
  # The lab's recommendation for tests: QEMU as root, no relabelling, so guests may use files in
  # private temp dirs. libvirt logs "tainted: high-privileges" (a warning only).
  cat >>"$QEMU_CONF" <<'EOF'
# nova-ts-lab: begin (scripts/hypervisor-setup.sh)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
# nova-ts-lab: end
EOF
  qemu_conf_changed=1
fi
if ! alive /run/virtlogd.pid virtlogd; then
  log "starting virtlogd"
  rm -f /run/virtlogd.pid
  virtlogd -d
fi
if alive /run/libvirtd.pid libvirtd && [ "$qemu_conf_changed" = 1 ]; then
  log "restarting libvirtd (qemu.conf changed)"
  stop_pidfile /run/libvirtd.pid libvirtd
fi
if alive /run/libvirtd.pid libvirtd && ! answers 20 qemu:///system; then
  # Seen once on a machine that had run the lab for hours: every virsh call timed out.
  log "libvirtd is running but does not answer within 20 s: restarting it"
  stop_pidfile /run/libvirtd.pid libvirtd
fi
if ! alive /run/libvirtd.pid libvirtd; then
  log "starting libvirtd"
  LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d
fi
for _ in $(seq 1 100); do answers 5 qemu:///system && break; sleep 0.1; done
answers 20 qemu:///system || die "libvirtd does not answer on qemu:///system (see /var/log/libvirt/libvirtd.log)"
# NOVA_TS_LAB_REAP=1 (.ci/run sets it, before any test runs): remove guests left by killed test runs.
if [ "${NOVA_TS_LAB_REAP:-0}" = 1 ]; then reap_lab_guests qemu:///system "${TMPDIR:-/tmp}" "$LAB/instances"; fi

# ---------------------------------------------------------------- private sshd
SSHD_DIR=$LAB/ssh
[ -s "$SSHD_DIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C nova-ts-lab-host -f "$SSHD_DIR/ssh_host_ed25519_key"
[ -s "$SSHD_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C nova-ts-lab-client -f "$SSHD_DIR/id_ed25519"
chmod 600 "$SSHD_DIR/ssh_host_ed25519_key" "$SSHD_DIR/id_ed25519"
cp "$SSHD_DIR/id_ed25519.pub" "$SSHD_DIR/authorized_keys"
host_pub=$(cut -d' ' -f1,2 "$SSHD_DIR/ssh_host_ed25519_key.pub")
printf '[127.0.0.1]:%s %s\n[localhost]:%s %s\n' "$SSH_PORT" "$host_pub" "$SSH_PORT" "$host_pub" >"$SSHD_DIR/known_hosts"
HOST_FP=$(ssh-keygen -l -E sha256 -f "$SSHD_DIR/ssh_host_ed25519_key.pub" | awk '{print $2}')
lab_sshd_config "$SSH_PORT" "$SSHD_DIR/ssh_host_ed25519_key" "$SSHD_DIR/sshd.pid" "$SSHD_DIR/authorized_keys" >"$SSHD_DIR/sshd_config.new"
sshd_changed=0
cmp -s "$SSHD_DIR/sshd_config.new" "$SSHD_DIR/sshd_config" || sshd_changed=1
mv "$SSHD_DIR/sshd_config.new" "$SSHD_DIR/sshd_config"
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$SSHD_DIR/sshd_config" || die "sshd rejects $SSHD_DIR/sshd_config"
ssh_virsh_ok() { # tries for up to ~10 s
  for _ in $(seq 1 50); do
    ssh -p "$SSH_PORT" -i "$SSHD_DIR/id_ed25519" -o UserKnownHostsFile="$SSHD_DIR/known_hosts" \
      -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 \
      timeout 15 virsh -c qemu:///system version --daemon >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
if alive "$SSHD_DIR/sshd.pid" sshd && [ "$sshd_changed" = 1 ]; then
  log "restarting the private sshd (config changed)"
  stop_pidfile "$SSHD_DIR/sshd.pid" sshd
fi
if alive "$SSHD_DIR/sshd.pid" sshd && ! ssh_virsh_ok; then
  log "the private sshd is running but virsh over it fails: restarting it"
  stop_pidfile "$SSHD_DIR/sshd.pid" sshd
fi
if ! alive "$SSHD_DIR/sshd.pid" sshd; then
  log "starting the private sshd on 127.0.0.1:$SSH_PORT"
  rm -f "$SSHD_DIR/sshd.pid"
  /usr/sbin/sshd -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log"
fi
ssh_virsh_ok || die "cannot ssh to root@127.0.0.1:$SSH_PORT and run virsh (see $SSHD_DIR/sshd.log; is the port taken?)"

# ---------------------------------------------------------------- tiny guest
KPKG=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$KPKG" ] || die "cannot find the cloud kernel package (apt-cache depends linux-image-cloud-amd64)"
KVER=${KPKG#linux-image-}
GUEST_STAMP="$KPKG $SELF_HASH"
guest_built=0
if [ "$(cat "$LAB/guest/stamp" 2>/dev/null)" != "$GUEST_STAMP" ] || [ ! -s "$LAB/guest/vmlinuz" ] || [ ! -s "$LAB/guest/initrd.img" ]; then
  KROOT=$LAB/kernel/$KVER
  if [ ! -s "$KROOT/boot/vmlinuz-$KVER" ]; then
    log "fetching $KPKG (apt-get download + dpkg -x; no kernel is installed)"
    rm -rf "$LAB/build/deb" "$KROOT.tmp" && mkdir -p "$LAB/build/deb" "$KROOT.tmp"
    if ! (cd "$LAB/build/deb" && apt-get -o DPkg::Lock::Timeout=900 download "$KPKG" >/dev/null 2>&1); then
      apt-get -o DPkg::Lock::Timeout=900 update -qq
      (cd "$LAB/build/deb" && apt-get download "$KPKG" >/dev/null)
    fi
    dpkg -x "$LAB"/build/deb/"$KPKG"_*.deb "$KROOT.tmp"
    rm -rf "$KROOT" "$LAB/build/deb" && mv "$KROOT.tmp" "$KROOT"
  fi
  log "building the guest initramfs ($KVER)"
  depmod -b "$KROOT" "$KVER"
  MODDIR=$KROOT/lib/modules/$KVER
  # Resolve dependencies (deps first), skipping built-in modules.
  ordered=()
  declare -A seen=()
  add_module() {
    local m=${1//-/_} dep f
    [ -n "${seen[$m]:-}" ] && return 0
    seen[$m]=1
    f=$(modinfo -b "$KROOT" -k "$KVER" -n "$m" 2>/dev/null) || die "guest module $m not found in $KPKG"
    case "$f" in (builtin|'(builtin)'|"") return 0 ;; esac
    for dep in $(modinfo -b "$KROOT" -k "$KVER" -F depends "$m" | tr ',' ' '); do add_module "$dep"; done
    ordered+=("$m:$f")
  }
  for m in "${GUEST_MODULES[@]}"; do add_module "$m"; done

  R=$LAB/build/root
  rm -rf "$R"
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc/acpi/PWRF,lib/modules,usr/share/udhcpc}
  cp /bin/busybox "$R/bin/busybox"
  : >"$R/etc/modules.order"
  for e in "${ordered[@]}"; do
    f=${e#*:}
    case "$f" in *.ko) ;; *) die "module ${e%%:*} is compressed ($f); busybox insmod needs plain .ko" ;; esac
    cp "$f" "$R/lib/modules/${e%%:*}.ko"
    echo "${e%%:*}" >>"$R/etc/modules.order"
  done
  mknod -m 600 "$R/dev/console" c 5 1
  cat >"$R/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# busybox acpid runs this on the ACPI power button (virsh shutdown, QMP system_powerdown).
echo "NOVA-TS-ACPI-POWEROFF" >/dev/console
sync
poweroff -f
EOF
  cat >"$R/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route add default via "$r" dev "$interface"; break; done
    echo "NOVA-TS-NET $ip gw=${router:-none}" >/dev/console ;;
esac
EOF
  cat >"$R/init" <<'EOF'
#!/bin/busybox sh
# nova-ts lab guest: prints NOVA-TS-GUEST-UP on the serial console, powers off on the ACPI
# power button, reports hot-plugged disks, shows a banner on the VGA screen and echoes keyboard
# lines to the serial console, and keeps a root shell on ttyS0. Never exits (pid 1).
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1
for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m.ko" 2>/dev/null; done
hostname nova-ts-guest
acpid -f -c /etc/acpi -l /dev/null &
# The VGA screen (tty1, what a VNC console shows): a banner, then every line typed on the
# keyboard is echoed to the serial console as "NOVA-TS-KEYS: <line>" (tests type into noVNC and
# read it back with the console log). Started before the marker, so it is
# listening once NOVA-TS-GUEST-UP is seen. The line is data only: printf %s, never evaluated.
(while true; do
   printf '\033[2J\033[H\033[1;37;44m NOVA-TS-GUEST-SCREEN %s \033[0m\n\nType a line and press Enter: it is echoed to the serial console.\n\n' "$(hostname)" >/dev/tty1
   while IFS= read -r line; do printf 'NOVA-TS-KEYS: %s\n' "$line" >/dev/ttyS0; done </dev/tty1
   sleep 1
 done) 2>/dev/null &
up=$(cut -d' ' -f1 /proc/uptime)
mem=$(awk '/MemTotal/ { print $2 "kB" }' /proc/meminfo)
echo "NOVA-TS-GUEST-UP kernel=$(uname -r) uptime=${up}s mem=$mem"
disks() { ls /sys/block | grep -v -e '^loop' -e '^ram' | tr '\n' ' '; }
echo "NOVA-TS-DISKS $(disks)"
(last=$(disks); while sleep 1; do now=$(disks); [ "$now" != "$last" ] && echo "NOVA-TS-DISKS $now"; last=$now; done) &
if [ -e /sys/class/net/eth0 ] && ! grep -q 'novats.nonet' /proc/cmdline; then
  (ip link set lo up; ip link set eth0 up
   udhcpc -i eth0 -n -q -t 5 -T 2 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 || echo "NOVA-TS-NET none"
   md=http://169.254.169.254/openstack/latest/meta_data.json
   for a in $(cat /proc/cmdline); do case "$a" in novats.md=*) md=${a#novats.md=} ;; esac; done
   if body=$(timeout 10 wget -qO- "$md" 2>/dev/null); then
     echo "NOVA-TS-METADATA-BEGIN"; echo "$body"; echo "NOVA-TS-METADATA-END"
   fi) &
fi
while true; do
  setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1' 2>/dev/null || sleep 1
  sleep 1
done
EOF
  chmod 755 "$R/init" "$R/etc/acpi/PWRF/00000080" "$R/usr/share/udhcpc/default.script"
  (cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -9n) >"$LAB/guest/initrd.img.tmp"
  cp "$KROOT/boot/vmlinuz-$KVER" "$LAB/guest/vmlinuz.tmp"
  chmod 644 "$LAB/guest/initrd.img.tmp" "$LAB/guest/vmlinuz.tmp"
  mv "$LAB/guest/vmlinuz.tmp" "$LAB/guest/vmlinuz"
  mv "$LAB/guest/initrd.img.tmp" "$LAB/guest/initrd.img"
  rm -rf "$R"
  echo "$GUEST_STAMP" >"$LAB/guest/stamp"
  guest_built=1
  log "guest: $LAB/guest/vmlinuz ($KVER), $LAB/guest/initrd.img ($(stat -c %s "$LAB/guest/initrd.img") bytes, ${#ordered[@]} modules)"
else
  log "guest already built ($KPKG)"
fi

# Boot it once with bare QEMU (TCG, 128 MiB): the marker must appear and the ACPI power button
# must power it off. A few seconds; done after a (re)build unless NOVA_TS_LAB_SMOKE=0.
if [ "$SMOKE" = 1 ] || { [ "$SMOKE" = auto ] && [ "$guest_built" = 1 ]; }; then
  log "smoke-booting the guest (bare QEMU, TCG)"
  S=$LAB/build/smoke
  rm -rf "$S" && mkdir -p "$S"
  qemu-system-x86_64 -name nova-ts-lab-smoke -machine pc,accel=tcg -m 128 -display none -monitor none \
    -kernel "$LAB/guest/vmlinuz" -initrd "$LAB/guest/initrd.img" -append "console=ttyS0 novats.nonet=1" \
    -serial "file:$S/serial.log" -qmp "unix:$S/qmp.sock,server=on,wait=off" -daemonize -pidfile "$S/qemu.pid"
  up=0
  for _ in $(seq 1 600); do grep -q "$MARKER" "$S/serial.log" 2>/dev/null && { up=1; break; }; sleep 0.1; done
  keys_ok=0
  if [ "$up" = 1 ]; then
    sleep 0.5 # acpid is started just before the marker
    # The keyboard reaches tty1 and comes back on the serial console (what the console test types).
    for _ in 1 2 3; do
      printf '%s\n' '{"execute":"qmp_capabilities"}' \
        '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"o"}]}}' \
        '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"k"}]}}' \
        '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"ret"}]}}' \
        | socat -t 2 - "UNIX-CONNECT:$S/qmp.sock" >/dev/null 2>&1 || true
      for _ in $(seq 1 30); do grep -q 'NOVA-TS-KEYS: ok' "$S/serial.log" && { keys_ok=1; break; }; sleep 0.1; done
      [ "$keys_ok" = 1 ] && break
    done
    printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"system_powerdown"}' \
      | socat -t 2 - "UNIX-CONNECT:$S/qmp.sock" >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do alive "$S/qemu.pid" || break; sleep 0.1; done
  fi
  poweroff_ok=1; alive "$S/qemu.pid" && { poweroff_ok=0; kill "$(cat "$S/qemu.pid")"; }
  [ "$up" = 1 ] || { tail -n 30 "$S/serial.log" >&2 || true; die "the guest did not print $MARKER within 60 s"; }
  grep -q NOVA-TS-ACPI-POWEROFF "$S/serial.log" && [ "$poweroff_ok" = 1 ] \
    || { tail -n 30 "$S/serial.log" >&2; die "the guest did not power off on the ACPI power button"; }
  [ "$keys_ok" = 1 ] || { tail -n 30 "$S/serial.log" >&2; die "keys typed on the guest's keyboard did not come back as NOVA-TS-KEYS on ttyS0"; }
  log "guest: $(grep -a "$MARKER" "$S/serial.log" | tr -d '\r'), echoed typed keys, powered off on ACPI"
  rm -rf "$S"
fi

# ---------------------------------------------------------------- lab.env
cat >"$LAB/lab.env.tmp" <<EOF
# Written by scripts/hypervisor-setup.sh. KEY=VALUE; values contain no spaces or quotes.
NOVA_TS_LAB_DIR=$LAB
NOVA_TS_LAB_SSH_HOST=127.0.0.1
NOVA_TS_LAB_SSH_PORT=$SSH_PORT
NOVA_TS_LAB_SSH_USER=root
NOVA_TS_LAB_SSH_PRIVATE_KEY=$SSHD_DIR/id_ed25519
NOVA_TS_LAB_SSH_KNOWN_HOSTS=$SSHD_DIR/known_hosts
NOVA_TS_LAB_SSH_HOST_KEY_FINGERPRINT=$HOST_FP
NOVA_TS_LAB_SSHD_CONFIG=$SSHD_DIR/sshd_config
NOVA_TS_LAB_SSHD_PID_FILE=$SSHD_DIR/sshd.pid
NOVA_TS_LAB_LIBVIRT_URI=qemu:///system
NOVA_TS_LAB_VIRT_TYPE=qemu
NOVA_TS_LAB_QEMU_AS_ROOT=$QEMU_AS_ROOT
NOVA_TS_LAB_GUEST_KERNEL=$LAB/guest/vmlinuz
NOVA_TS_LAB_GUEST_INITRD=$LAB/guest/initrd.img
NOVA_TS_LAB_GUEST_KERNEL_VERSION=$KVER
NOVA_TS_LAB_GUEST_CMDLINE=console=ttyS0
NOVA_TS_LAB_GUEST_MARKER=$MARKER
NOVA_TS_LAB_GUEST_POWEROFF_MARKER=NOVA-TS-ACPI-POWEROFF
NOVA_TS_LAB_GUEST_MIN_RAM_MB=96
NOVA_TS_LAB_GUEST_RAM_MB=128
EOF
mv "$LAB/lab.env.tmp" "$LAB/lab.env"
log "ready in $(elapsed) s; environment in $LAB/lab.env"
