/** [fake_driver]: the in-memory hypervisor's size (nova-ts; Nova's FakeDriver hard-codes these). */
import { intOpt, listOpt, section } from '../option-types';

export const fakeDriverSection = section('The fake driver (compute_driver = fake.FakeDriver): an in-memory hypervisor for development and scale tests.', {
  vcpus: intOpt({ default: 1000, min: 1, help: 'Physical CPUs each fake node reports.' }),
  memory_mb: intOpt({ default: 800000, min: 1, unit: 'MiB', help: 'Memory each fake node reports.' }),
  local_gb: intOpt({ default: 600000, min: 0, unit: 'GiB', help: 'Local disk each fake node reports.' }),
  nodes: listOpt({
    default: [],
    help: 'Names of the nodes this compute host reports (one compute node each). Empty: one node named after the host.',
  }),
});
