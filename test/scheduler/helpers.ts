import { HostStateInit, makeHostState, HostState } from '../../src/scheduler/host-state';
import type { FlavorSpec, RequestSpec } from '../../src/scheduler/request-spec';

export function host(name: string, extra: Partial<HostStateInit> = {}): HostState {
  return makeHostState({
    host: name, vcpus_total: 8, memory_mb: 16384, reserved_host_memory_mb: 512, local_gb: 100,
    cpu_allocation_ratio: 1.0, supported_instances: [['x86_64', 'kvm', 'hvm']], hypervisor_type: 'QEMU', ...extra,
  });
}

export function flavor(extra: Partial<FlavorSpec> = {}): FlavorSpec {
  return { name: 'm1.small', vcpus: 1, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0, swap: 0, extra_specs: {}, ...extra };
}

export function spec(extra: Partial<RequestSpec> = {}): RequestSpec {
  return { flavor: flavor(), num_instances: 1, ...extra };
}
