/** [libvirt]: the libvirt driver, which reaches the hypervisor host over SSH. */
import { boolOpt, choiceOpt, portOpt, section, strOpt } from '../option-types';
import { libvirtSshOptions } from './libvirt-ssh.options';
import { libvirtMigrationOptions } from './libvirt-migration.options';

export const libvirtSection = section('The libvirt driver (compute_driver = libvirt.LibvirtDriver).', {
  virt_type: choiceOpt({
    choices: ['kvm', 'qemu'] as const, default: 'qemu',
    help: 'kvm uses hardware virtualization; qemu emulates (TCG: slower, but works everywhere). ' +
      'Never chosen automatically: /dev/kvm can exist where KVM guests hang (nested, no vmx).',
  }),
  connection_uri: strOpt({
    default: '', help: 'libvirt URI on the hypervisor host. Empty: derived from virt_type (qemu:///system).',
  }),
  ssh_user: strOpt({ default: 'root', help: 'User the compute host logs in as on the hypervisor host.' }),
  ssh_host: strOpt({ default: '$my_ip', help: 'The hypervisor host. By default this host (my_ip).' }),
  ssh_port: portOpt({ default: 22, help: 'SSH port of the hypervisor host.' }),
  ssh_private_key_file: strOpt({ help: 'Private key file for SSH. Unset: the SSH agent or the user\'s default keys.' }),
  ssh_known_hosts_file: strOpt({ help: 'known_hosts file holding the hypervisor\'s host key. Unset: the user\'s ~/.ssh/known_hosts.' }),
  ssh_strict_host_key_checking: boolOpt({
    default: true,
    help: 'Refuse hypervisor hosts whose key is not in the known_hosts file. When false, an unknown ' +
      'host\'s key is trusted on first use and appended to the file (labs only); a changed key is refused either way.',
  }),
  ...libvirtSshOptions,
  ...libvirtMigrationOptions,
  images_type: choiceOpt({
    choices: ['default', 'raw', 'flat', 'qcow2'] as const, default: 'default',
    help: 'Format of instance disks; default means qcow2 overlays on cached base images.',
  }),
  image_cache_subdirectory_name: strOpt({
    default: '_base', deprecated: ['DEFAULT.image_cache_subdirectory_name'],
    help: 'Directory under instances_path where base images are cached.',
  }),
});
