/**
 * [libvirt]: tuning of the SSH transport to the hypervisor host (compute/drivers/libvirt/ssh-shell.ts).
 * Where the host is and how it is trusted (ssh_host, ssh_port, ssh_user, ssh_private_key_file,
 * ssh_known_hosts_file, ssh_strict_host_key_checking) are in libvirt.options.ts.
 */
import { intOpt } from '../option-types';

export const libvirtSshOptions = {
  ssh_connect_timeout: intOpt({
    default: 15, min: 1, unit: 'seconds',
    help: 'How long connecting and authenticating to the hypervisor host may take.',
  }),
  ssh_keepalive_interval: intOpt({
    default: 10, min: 0, unit: 'seconds',
    help: 'Interval of SSH keepalives on the connection to the hypervisor host; after 3 unanswered ' +
      'ones the connection is dropped and re-opened by the next command. 0 disables them.',
  }),
  ssh_max_sessions: intOpt({
    default: 8, min: 1,
    help: 'Commands run at the same time on the one connection to the hypervisor host; keep it below ' +
      'the host sshd\'s MaxSessions (10 by default; SFTP takes one more).',
  }),
  command_timeout: intOpt({
    default: 300, min: 1, unit: 'seconds',
    help: 'Default limit for one command on the hypervisor host (virsh, qemu-img); a command past it ' +
      'is killed there and the operation fails.',
  }),
};
