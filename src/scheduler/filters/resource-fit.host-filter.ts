import type { HostState } from '../host-state';
import type { RequestSpec } from '../request-spec';
import { resourceRequest } from '../request-spec';
import type { HostFilter } from './index';

/** Placement's capacity check for one resource class (min_unit 1, step_size 1, max_unit = total). */
export function fits(total: number, reserved: number, ratio: number, used: number, requested: number): boolean {
  if (requested <= 0) return true;
  if (requested > total) return false;
  return (total - reserved) * ratio >= used + requested;
}

/**
 * Not a Nova filter: what placement's `GET /allocation_candidates` does for VCPU, MEMORY_MB and
 * DISK_GB (§6.1 step 3, §6.4). For each class the host passes when
 * `(total - reserved) * allocation_ratio - used >= requested` and `requested <= total`
 * (max_unit). Reserved disk is `ceil(reserved_host_disk_mb / 1024)` GB. Run it first.
 */
export function resourceFitFilter(): HostFilter {
  // One request is checked against thousands of hosts: compute its amounts once per flavor.
  let lastFlavor: RequestSpec['flavor'] | null = null;
  let lastBfv: boolean | undefined;
  let req = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
  return {
    name: 'ResourceFitFilter',
    runFilterOncePerRequest: false,
    hostPasses(h: HostState, spec) {
      if (spec.flavor !== lastFlavor || spec.is_bfv !== lastBfv) {
        req = resourceRequest(spec);
        lastFlavor = spec.flavor;
        lastBfv = spec.is_bfv;
      }
      const r = req;
      return fits(h.vcpus_total, h.reserved_host_cpus, h.cpu_allocation_ratio, h.vcpus_used, r.VCPU)
        && fits(h.memory_mb, h.reserved_host_memory_mb, h.ram_allocation_ratio, h.memory_mb_used, r.MEMORY_MB)
        && fits(h.local_gb, Math.ceil(h.reserved_host_disk_mb / 1024), h.disk_allocation_ratio, h.local_gb_used, r.DISK_GB);
    },
  };
}
