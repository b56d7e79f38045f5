#!/usr/bin/env bash
# Prints, in a few dozen lines, the state of the machine and of the test lab: what .ci/run shows
# when the tests fail, so a failure on CI's machine can be diagnosed from its output alone.
set -uo pipefail
LAB=${NOVA_TS_LAB_DIR:-/var/lib/nova-ts-lab}
H2=$LAB/host2
section() { printf -- '--- %s\n' "$*"; }
section "uptime / memory / disk"
uptime; free -m | sed -n 1,2p; df -h / | tail -n 1
section "busiest processes"
ps -eo pid,etime,pcpu,rss,comm --sort=-pcpu | head -n 8
section "qemu processes: $(pgrep -c -f '^[^ ]*qemu-system-x86_64 '; true); nova processes: $(pgrep -c -f '^[^ ]*node [^ ]*bin/nova '; true)"
for spec in "host 1|qemu:///system|/run/libvirtd.pid" "host 2|qemu+unix:///system?socket=$H2/run-libvirt/libvirt-sock|$H2/pids/libvirtd.pid"; do
  IFS='|' read -r name uri pidfile <<<"$spec"
  pid=$(cat "$pidfile" 2>/dev/null || echo none)
  section "$name libvirtd (pid $pid): virsh list --all"
  timeout 10 virsh -c "$uri" list --all 2>&1 | head -n 12 || echo "(virsh did not answer within 10 s)"
done
section "host 1 libvirtd.log (last errors)"
grep -a ' error ' /var/log/libvirt/libvirtd.log 2>/dev/null | tail -n 5
section "host 2 libvirtd.log (last errors)"
grep -a ' error ' "$H2/log/libvirtd.log" 2>/dev/null | tail -n 5
section "sshd logs (last lines)"
tail -n 3 "$LAB/ssh/sshd.log" "$H2/ssh/sshd.log" 2>/dev/null
exit 0
