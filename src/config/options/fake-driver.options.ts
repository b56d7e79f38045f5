/** [fake_driver]: the in-memory hypervisor's size, speed and injected failures (nova-ts; Nova's FakeDriver hard-codes its size). */
import { intOpt, listOpt, section, strOpt } from '../option-types';

export const fakeDriverSection = section('The fake driver (compute_driver = fake.FakeDriver): an in-memory hypervisor for development and scale tests.', {
  vcpus: intOpt({ default: 1000, min: 1, help: 'Physical CPUs each fake node reports.' }),
  memory_mb: intOpt({ default: 800000, min: 1, unit: 'MiB', help: 'Memory each fake node reports.' }),
  local_gb: intOpt({ default: 600000, min: 0, unit: 'GiB', help: 'Local disk each fake node reports.' }),
  nodes: listOpt({
    default: [],
    help: 'Names of the nodes this compute host reports (one compute node each). Empty: one node named after the host.',
  }),
  action_delay_ms: intOpt({
    default: 0,
    min: 0,
    unit: 'milliseconds',
    help: 'How long every guest operation (spawn, destroy, reboot, power off/on, pause, snapshot, migrations, ...) takes. 0: immediate.',
  }),
  spawn_delay_ms: intOpt({
    min: 0,
    unit: 'milliseconds',
    help: 'How long spawn (and finishing a migration) takes. Unset: action_delay_ms.',
  }),
  fail_spawn_on_hosts: listOpt({
    default: [],
    help: 'Compute hosts on which every spawn fails (failure injection for tests: exercises rescheduling and the ERROR state).',
  }),
  fail_spawn_images: listOpt({
    default: [],
    help: 'Image ids or names whose spawn fails on every host (failure injection for tests).',
  }),
  fail_operations: listOpt({
    default: [],
    help: 'Guest operations that fail (failure injection for tests), each "<operation>" (every host) or "<operation>@<host>". ' +
      'Operations: spawn, destroy, reboot, power_off, power_on, pause, unpause, suspend, resume, rescue, unrescue, snapshot, ' +
      'set_admin_password, get_console_output, migrate_disk_and_power_off, finish_migration, confirm_migration, ' +
      'finish_revert_migration, live_migrate, post_live_migration_at_destination, trigger_crash_dump.',
  }),
  vnc_console: strOpt({
    help: 'Where every fake guest\'s VNC console is, as host:port (e.g. a test VNC server). Unset: Nova\'s fake endpoint ' +
      'fakevncconsole.com:6969, which nobody serves. When set, the console has no internal access path (moves are not detected).',
  }),
});
