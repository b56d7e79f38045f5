/** [DEFAULT]: compute host behaviour, resources and availability zones. */
import { boolOpt, floatOpt, intOpt, strOpt } from '../option-types';

export const defaultComputeOptions = {
  compute_driver: strOpt({
    default: 'fake.FakeDriver',
    help: 'The hypervisor driver of the compute role: fake.FakeDriver (no real guests; for ' +
      'development and scale tests) or libvirt.LibvirtDriver (KVM/QEMU reached over SSH, see [libvirt]).',
  }),
  instances_path: strOpt({
    default: '$state_path/instances',
    help: 'Where instance disks and files are kept on the hypervisor host.',
  }),
  instance_name_template: strOpt({
    default: 'instance-%08x',
    help: 'printf-style template of the hypervisor\'s name for an instance, from its integer id ' +
      '(%d, %x, %08x ...). Changing it on a host with instances loses track of them.',
  }),
  reserved_host_memory_mb: intOpt({
    default: 512, min: 0, unit: 'MiB', help: 'Memory kept for the host itself, never given to instances.',
  }),
  reserved_host_disk_mb: intOpt({ default: 0, min: 0, unit: 'MiB', help: 'Disk space kept for the host itself.' }),
  reserved_host_cpus: intOpt({ default: 0, min: 0, help: 'Number of host CPUs kept for the host itself.' }),
  cpu_allocation_ratio: floatOpt({
    min: 0,
    help: 'Virtual CPUs per physical CPU reported to placement. When unset, the host keeps the ratio ' +
      'already in placement, or initial_cpu_allocation_ratio for a new host.',
  }),
  ram_allocation_ratio: floatOpt({
    min: 0, help: 'Virtual RAM per physical RAM; unset works as for cpu_allocation_ratio.',
  }),
  disk_allocation_ratio: floatOpt({
    min: 0, help: 'Virtual disk per physical disk; unset works as for cpu_allocation_ratio.',
  }),
  initial_cpu_allocation_ratio: floatOpt({ default: 4.0, min: 0, help: 'CPU allocation ratio of a new compute host.' }),
  initial_ram_allocation_ratio: floatOpt({ default: 1.0, min: 0, help: 'RAM allocation ratio of a new compute host.' }),
  initial_disk_allocation_ratio: floatOpt({ default: 1.0, min: 0, help: 'Disk allocation ratio of a new compute host.' }),
  update_resources_interval: intOpt({
    default: 0, unit: 'seconds',
    help: 'How often the resource tracker refreshes the host\'s inventory. 0 uses the default ' +
      'periodic interval (60 seconds); a negative value disables the task.',
  }),
  sync_power_state_interval: intOpt({
    default: 600, unit: 'seconds',
    help: 'How often the database\'s power states are reconciled with the hypervisor\'s. A negative ' +
      'value disables the task.',
  }),
  resize_confirm_window: intOpt({
    default: 0, min: 0, unit: 'seconds',
    help: 'Resized instances left unconfirmed for this long are confirmed automatically. 0 disables it.',
  }),
  reclaim_instance_interval: intOpt({
    default: 0, unit: 'seconds',
    help: 'When positive, deleted instances are soft-deleted and reclaimed after this interval, so ' +
      'they can be restored meanwhile. 0 deletes at once.',
  }),
  max_concurrent_builds: intOpt({
    default: 10, min: 0, help: 'Builds a compute host runs at the same time. 0 means no limit.',
  }),
  default_availability_zone: strOpt({
    default: 'nova', help: 'Availability zone of compute hosts that are in no aggregate with one.',
  }),
  internal_service_availability_zone: strOpt({
    default: 'internal', help: 'Availability zone shown for the services other than compute.',
  }),
  default_schedule_zone: strOpt({
    help: 'Availability zone given to instances created without one. Unset: the instance may land ' +
      'in any zone.',
  }),
  password_length: intOpt({ default: 12, min: 0, help: 'Length of generated instance admin passwords.' }),
  allow_resize_to_same_host: boolOpt({
    default: false, help: 'Let a resize pick the instance\'s current host (useful on a single host).',
  }),
  shelved_offload_time: intOpt({
    default: 0, min: -1, unit: 'seconds',
    help: 'How long a shelved instance keeps its host before it is offloaded. 0 offloads at once, -1 never.',
  }),
  shelved_poll_interval: intOpt({
    default: 3600, unit: 'seconds',
    help: 'How often shelved instances are checked for offloading (shelved_offload_time > 0). 0 or less disables the check.',
  }),
};
