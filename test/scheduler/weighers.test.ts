import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWeighers, DEFAULT_WEIGHER_OPTIONS, DEFAULT_WEIGHERS, normalize } from '../../src/scheduler/weighers';
import { FilterScheduler } from '../../src/scheduler/filter-scheduler';
import type { HostState } from '../../src/scheduler/host-state';
import type { RequestSpec } from '../../src/scheduler/request-spec';
import { host, spec } from './helpers';

function weights(names: string[], hosts: HostState[], s: RequestSpec = spec(), weigher_options = {}): number[] {
  const sch = new FilterScheduler({ enabled_filters: [], weight_classes: names, weigher_options });
  return [...sch.weigh(hosts, hosts.map((_, i) => i), s)];
}

describe('normalize', () => {
  it('maps min..max to 0..1', () => assert.deepEqual([...normalize([10, 20, 15], new Float64Array(3))], [0, 1, 0.5]));
  it('all equal gives 0', () => assert.deepEqual([...normalize([7, 7, 7], new Float64Array(3))], [0, 0, 0]));
  it('uses given bounds', () => assert.deepEqual([...normalize([5], new Float64Array(1), 0, 10)], [0.5]));
});

describe('weighers', () => {
  const a = host('a', { memory_mb: 8704, vcpus_total: 4, local_gb: 50, num_io_ops: 2, num_instances: 1 }); // free RAM 8192
  const b = host('b', { memory_mb: 4608, vcpus_total: 8, local_gb: 100, num_io_ops: 0, num_instances: 5 }); // free RAM 4096
  const c = host('c', { memory_mb: 6656, vcpus_total: 6, local_gb: 75, num_io_ops: 1, num_instances: 3 }); // free RAM 6144
  const hs = [a, b, c];

  it('has Nova default multipliers', () => {
    assert.deepEqual(DEFAULT_WEIGHER_OPTIONS, {
      ram_weight_multiplier: 1, cpu_weight_multiplier: 1, disk_weight_multiplier: 1, io_ops_weight_multiplier: -1,
      num_instances_weight_multiplier: 0, soft_affinity_weight_multiplier: 1, soft_anti_affinity_weight_multiplier: 1,
      build_failure_weight_multiplier: 1000000,
    });
    assert.equal(DEFAULT_WEIGHERS.length, 8);
  });
  it('RAMWeigher spreads by free RAM, normalised', () => assert.deepEqual(weights(['RAMWeigher'], hs), [1, 0, 0.5]));
  it('a negative multiplier stacks', () => assert.deepEqual(weights(['RAMWeigher'], hs, spec(), { ram_weight_multiplier: -2 }), [-2, 0, -1]));
  it('CPUWeigher uses vcpus_total * ratio - used', () => {
    const x = host('x', { vcpus_total: 4, cpu_allocation_ratio: 4, vcpus_used: 0 }); // 16
    const y = host('y', { vcpus_total: 8, cpu_allocation_ratio: 1, vcpus_used: 0 }); // 8
    assert.deepEqual(weights(['CPUWeigher'], [x, y]), [1, 0]);
  });
  it('DiskWeigher by free disk', () => assert.deepEqual(weights(['DiskWeigher'], hs), [0, 1, 0.5]));
  it('IoOpsWeigher prefers idle hosts (multiplier -1)', () => assert.deepEqual(weights(['IoOpsWeigher'], hs), [-1, 0, -0.5]));
  it('NumInstancesWeigher is off by default, can be enabled', () => {
    assert.deepEqual(weights(['NumInstancesWeigher'], hs), [0, 0, 0]);
    assert.deepEqual(weights(['NumInstancesWeigher'], hs, spec(), { num_instances_weight_multiplier: -1 }), [0, -1, -0.5]);
  });
  it('all-equal raw weights add nothing', () => {
    const same = [host('p'), host('q'), host('r')];
    assert.deepEqual(weights(DEFAULT_WEIGHERS as string[], same), [0, 0, 0]);
  });
  it('a single host weighs 0', () => assert.deepEqual(weights(['RAMWeigher'], [a]), [0]));
  it('sums the weighers', () => {
    const w = weights(['RAMWeigher', 'IoOpsWeigher'], hs);
    assert.deepEqual(w, [0, 0, 0]);
  });
  it('BuildFailureWeigher pushes failing hosts back by a million', () => {
    const w = weights(['BuildFailureWeigher'], [host('a', { failed_builds: 2 }), host('b'), host('c', { failed_builds: 1 })]);
    assert.deepEqual(w, [-1000000, 0, -500000]);
  });
  it('soft affinity / anti-affinity count group members on the host', () => {
    const hs2 = [host('a', { instances: ['m1', 'm2'] }), host('b', { instances: ['m3'] }), host('c')];
    const g = (policy: string): RequestSpec => spec({ instance_group: { policy, hosts: [], members: ['m1', 'm2', 'm3'] } });
    assert.deepEqual(weights(['ServerGroupSoftAffinityWeigher'], hs2, g('soft-affinity')), [1, 0.5, 0]);
    assert.deepEqual(weights(['ServerGroupSoftAntiAffinityWeigher'], hs2, g('soft-anti-affinity')), [0, 0.5, 1]);
    assert.deepEqual(weights(['ServerGroupSoftAffinityWeigher'], hs2, g('soft-anti-affinity')), [0, 0, 0]);
  });
  it('aggregate metadata overrides the multiplier (smallest value wins)', () => {
    const x = host('x', { memory_mb: 8704, aggregates: [{ metadata: { ram_weight_multiplier: '3' } }, { metadata: { ram_weight_multiplier: '2.5' } }] });
    const y = host('y', { memory_mb: 4608 });
    assert.deepEqual(weights(['RAMWeigher'], [x, y]), [2.5, 0]);
  });
  it('registry rejects unknown names', () => assert.throws(() => createWeighers(['Nope']), /unknown scheduler weigher/));
});
