/**
 * [libvirt]: how guests move between hypervisor hosts (compute/drivers/libvirt/libvirt-migration.ts).
 * Cold migration and resize copy the disks host to host over SSH (this compute connects to the
 * destination host with its own ssh_private_key_file and ssh_known_hosts_file); live migration runs
 * `virsh migrate --live` on the source host towards the destination's libvirt.
 */
import { strOpt } from '../option-types';

export const libvirtMigrationOptions = {
  live_migration_inbound_addr: strOpt({
    help: 'Address other hypervisor hosts use to reach this one for migrations: the live migration data ' +
      'stream (and its disk copy) connects to it, and it replaces %s in the source\'s live_migration_uri. ' +
      'Unset: ssh_host (or my_ip when ssh_host is local).',
  }),
  live_migration_uri: strOpt({
    help: 'libvirt URI the source host\'s virsh uses to reach the destination\'s libvirtd, %s replaced by the ' +
      'destination\'s live_migration_inbound_addr (e.g. qemu+tcp://%s/system). Unset: libvirt\'s own SSH ' +
      'transport to the destination\'s sshd (qemu+libssh://<ssh_user>@<address>:<ssh_port>/system) with this ' +
      'compute\'s ssh_private_key_file and ssh_known_hosts_file (host key checked), which must then also be ' +
      'readable at the same paths on the source hypervisor host.',
  }),
};
