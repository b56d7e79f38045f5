#!/usr/bin/env bash
# Stops everything the test-lab scripts started: the lab's guests (on both hypervisor hosts), sshd
# #1 and #2, libvirtd and virtlogd #1 and #2, Keystone and Glance. Keys, images and databases stay;
# the setup scripts start it all again. Use it to leave a machine clean (nothing running that a later
# run could find half alive). Needs root.
set -euo pipefail
SCRIPT_NAME=lab-stop
# shellcheck source=lib/lab-common.sh
. "$(dirname "$0")/lib/lab-common.sh"
LAB=${NOVA_TS_LAB_DIR:-/var/lib/nova-ts-lab}
H2=$LAB/host2
[ "$(id -u)" = 0 ] || die "must run as root"

if alive "$H2/pids/libvirtd.pid" libvirtd; then
  URI2="qemu+unix:///system?socket=$H2/run-libvirt/libvirt-sock"
  answers 10 "$URI2" && reap_lab_guests "$URI2" "$LAB/instances"
fi
stop_pidfile "$H2/ssh/sshd.pid" sshd
stop_pidfile "$H2/pids/libvirtd.pid" libvirtd
stop_pidfile "$H2/pids/virtlogd.pid" virtlogd

if alive /run/libvirtd.pid libvirtd; then
  answers 10 qemu:///system && reap_lab_guests qemu:///system "${TMPDIR:-/tmp}" "$LAB/instances"
fi
stop_pidfile "$LAB/ssh/sshd.pid" sshd
stop_pidfile /run/libvirtd.pid libvirtd
stop_pidfile /run/virtlogd.pid virtlogd

"$(dirname "$0")/openstack-services-setup.sh" stop
left=$(pgrep -c -f '^[^ ]*qemu-system-x86_64 '; true)
[ "${left:-0}" = 0 ] || log "warning: $left qemu-system-x86_64 process(es) still running (not the lab's?)"
log "stopped ($(elapsed) s)"
