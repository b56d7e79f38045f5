import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createFilters, extraSpecsMatch, HOST_FILTERS, DEFAULT_FILTER_OPTIONS } from '../../src/scheduler/filters';
import type { HostFilter } from '../../src/scheduler/filters';
import { versionIntToParts, versionSatisfies } from '../../src/scheduler/filters/image-properties.host-filter';
import type { RequestSpec } from '../../src/scheduler/request-spec';
import { resourceRequest } from '../../src/scheduler/request-spec';
import type { HostState } from '../../src/scheduler/host-state';
import { flavor, host, spec } from './helpers';

const make = (name: string, opts = {}): HostFilter => createFilters([name], opts)[0];
const passes = (name: string, h: HostState, s: RequestSpec, opts = {}): boolean => {
  const f = make(name, opts);
  return f.appliesTo && !f.appliesTo(s) ? true : f.hostPasses(h, s);
};

describe('extra_specs_ops.match', () => {
  const cases: [string | null, string, boolean][] = [
    ['1', '1', true], ['1', '2', false], ['123', '= 123', true], ['124', '= 123', true], ['122', '= 123', false],
    ['123', '== 123', true], ['123.0', '== 123', true], ['124', '== 123', false], ['123', '!= 123', false], ['124', '!= 123', true],
    ['12', '>= 11', true], ['10', '>= 11', false], ['10', '<= 11', true], ['12', '<= 11', false],
    ['abc', 's== abc', true], ['abd', 's== abc', false], ['abd', 's!= abc', true],
    ['a', 's< b', true], ['b', 's< a', false], ['b', 's<= b', true], ['b', 's> a', true], ['b', 's>= c', false],
    ['12311321', '<in> 11', true], ['12311321', '<in> 99', false],
    ['12311321', '<all-in> 11 32', true], ['12311321', '<all-in> 11 99', false],
    ['12', '<or> 11 <or> 12', true], ['13', '<or> 11 <or> 12', false], ['11', '<or> 11 <or>', true], ['12', '<or> 11 <or>', false],
    [null, '= 1', false], [null, 'abc', false], ['abc', '>= 1', false], ['12', '=', false], ['12', '<in>', false],
  ];
  for (const [value, req, want] of cases) {
    it(`match(${JSON.stringify(value)}, ${JSON.stringify(req)}) is ${want}`, () => assert.equal(extraSpecsMatch(value, req), want));
  }
});

describe('ComputeFilter', () => {
  it('passes an enabled, up service', () => assert.equal(passes('ComputeFilter', host('a'), spec()), true));
  it('fails a disabled service', () => assert.equal(passes('ComputeFilter', host('a', { service_disabled: true }), spec()), false));
  it('fails a down service', () => assert.equal(passes('ComputeFilter', host('a', { service_up: false }), spec()), false));
});

describe('ComputeCapabilitiesFilter', () => {
  const h = host('a', { stats: { pci_slots: '4' }, cpu_info: '{"arch":"x86_64","features":["vmx","avx"]}' });
  const s = (extra_specs: Record<string, string>): RequestSpec => spec({ flavor: flavor({ extra_specs }) });
  it('passes without extra specs', () => assert.equal(passes('ComputeCapabilitiesFilter', h, s({})), true));
  it('ignores other namespaces', () => assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'hw:cpu_policy': 'dedicated', 'trait:X': 'required' })), true));
  it('matches a scoped attribute with an operator', () => {
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:free_ram_mb': '>= 1024' })), true);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:free_ram_mb': '>= 100000' })), false);
  });
  it('matches a bare attribute, ignores unknown bare keys', () => {
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ hypervisor_type: 's== QEMU' })), true);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ hypervisor_type: 's== xen' })), false);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ no_such_thing: 'x' })), true);
  });
  it('falls back to stats', () => {
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:pci_slots': '>= 2' })), true);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ pci_slots: '>= 8' })), false);
  });
  it('walks nested JSON (cpu_info)', () => {
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:cpu_info:arch': 'x86_64' })), true);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:cpu_info:arch': '<or> aarch64 <or> ppc64le' })), false);
    assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:cpu_info:features': '<in> avx' })), true);
  });
  it('fails a scoped key the host lacks', () => assert.equal(passes('ComputeCapabilitiesFilter', h, s({ 'capabilities:missing': '1' })), false));
});

describe('ImagePropertiesFilter', () => {
  const h = host('a', { supported_instances: [['x86_64', 'kvm', 'hvm'], ['i686', 'kvm', 'hvm']], hypervisor_version: 6002000 });
  const s = (properties: Record<string, unknown>): RequestSpec => spec({ image: { properties } });
  it('passes an image without the properties', () => assert.equal(passes('ImagePropertiesFilter', h, s({ os_distro: 'ubuntu' })), true));
  it('passes matching arch/hv/mode, canonicalised', () => {
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'x86_64', img_hv_type: 'KVM', hw_vm_mode: 'hvm' })), true);
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'amd64' })), true);
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'i386' })), true);
  });
  it('fails an unsupported arch or type', () => {
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'aarch64' })), false);
    assert.equal(passes('ImagePropertiesFilter', h, s({ img_hv_type: 'xen' })), false);
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_vm_mode: 'exe' })), false);
  });
  it('fails a host that advertises nothing', () => assert.equal(passes('ImagePropertiesFilter', host('b', { supported_instances: [] }), s({ hw_architecture: 'x86_64' })), false));
  it('checks img_hv_requested_version', () => {
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'x86_64', img_hv_requested_version: '>=6.0' })), true);
    assert.equal(passes('ImagePropertiesFilter', h, s({ hw_architecture: 'x86_64', img_hv_requested_version: '>=6.0, <6.2' })), false);
    assert.deepEqual(versionIntToParts(6002001), [6, 2, 1]);
    assert.equal(versionSatisfies([6, 2], '==6.2.0'), true);
  });
});

describe('AvailabilityZoneFilter', () => {
  const inAz = host('a', { aggregates: [{ metadata: { availability_zone: 'az1' } }, { metadata: { foo: 'bar' } }] });
  const plain = host('b');
  it('passes everything without a requested zone', () => assert.equal(passes('AvailabilityZoneFilter', inAz, spec()), true));
  it('matches aggregate metadata', () => {
    assert.equal(passes('AvailabilityZoneFilter', inAz, spec({ availability_zone: 'az1' })), true);
    assert.equal(passes('AvailabilityZoneFilter', inAz, spec({ availability_zone: 'nova' })), false);
  });
  it('hosts without a zone are in the default zone', () => {
    assert.equal(passes('AvailabilityZoneFilter', plain, spec({ availability_zone: 'nova' })), true);
    assert.equal(passes('AvailabilityZoneFilter', plain, spec({ availability_zone: 'az1' })), false);
    assert.equal(passes('AvailabilityZoneFilter', plain, spec({ availability_zone: 'zone0' }), { default_availability_zone: 'zone0' }), true);
  });
});

describe('server group filters', () => {
  const group = (policy: string, extra = {}) => ({ policy, hosts: [] as string[], members: ['m1', 'm2', 'm3'], ...extra });
  it('anti-affinity fails a host with a member, passes others', () => {
    const s = spec({ instance_group: group('anti-affinity'), instance_uuid: 'm3' });
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('a', { instances: ['m1'] }), s), false);
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('b', { instances: ['other'] }), s), true);
  });
  it('anti-affinity honours max_server_per_host', () => {
    const s = spec({ instance_group: group('anti-affinity', { rules: { max_server_per_host: 2 } }), instance_uuid: 'm3' });
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('a', { instances: ['m1'] }), s), true);
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('a', { instances: ['m1', 'm2'] }), s), false);
  });
  it('anti-affinity passes the host already holding the instance', () => {
    const s = spec({ instance_group: group('anti-affinity'), instance_uuid: 'm1' });
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('a', { instances: ['m1', 'm2'] }), s), true);
  });
  it('anti-affinity ignores other policies', () => {
    assert.equal(passes('ServerGroupAntiAffinityFilter', host('a', { instances: ['m1'] }), spec({ instance_group: group('affinity') })), true);
  });
  it('affinity: any host while the group has none, then only its hosts', () => {
    assert.equal(passes('ServerGroupAffinityFilter', host('a'), spec({ instance_group: group('affinity') })), true);
    const s = spec({ instance_group: group('affinity', { hosts: ['b'] }) });
    assert.equal(passes('ServerGroupAffinityFilter', host('a'), s), false);
    assert.equal(passes('ServerGroupAffinityFilter', host('b'), s), true);
    assert.equal(passes('ServerGroupAffinityFilter', host('a'), spec({ instance_group: group('anti-affinity', { hosts: ['b'] }) })), true);
  });
});

describe('SameHostFilter / DifferentHostFilter', () => {
  const h = host('a', { instances: ['i1', 'i2'] });
  it('same_host', () => {
    assert.equal(passes('SameHostFilter', h, spec({ scheduler_hints: { same_host: ['i1'] } })), true);
    assert.equal(passes('SameHostFilter', h, spec({ scheduler_hints: { same_host: ['x', 'i2'] } })), true);
    assert.equal(passes('SameHostFilter', h, spec({ scheduler_hints: { same_host: 'x' } })), false);
    assert.equal(passes('SameHostFilter', h, spec({ scheduler_hints: {} })), true);
  });
  it('different_host', () => {
    assert.equal(passes('DifferentHostFilter', h, spec({ scheduler_hints: { different_host: ['i1'] } })), false);
    assert.equal(passes('DifferentHostFilter', h, spec({ scheduler_hints: { different_host: ['x', 'y'] } })), true);
    assert.equal(passes('DifferentHostFilter', h, spec()), true);
  });
});

describe('AggregateInstanceExtraSpecsFilter', () => {
  const h = host('a', { aggregates: [{ metadata: { ssd: 'true', speed: '10' } }, { metadata: { speed: '20' } }] });
  const s = (extra_specs: Record<string, string>): RequestSpec => spec({ flavor: flavor({ extra_specs }) });
  it('passes without extra specs', () => assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({})), true));
  it('matches scoped and bare keys against any aggregate value', () => {
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({ 'aggregate_instance_extra_specs:ssd': 'true' })), true);
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({ speed: '>= 15' })), true);
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({ speed: '>= 25' })), false);
  });
  it('ignores other scopes, fails keys missing from the aggregates', () => {
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({ 'hw:cpu_policy': 'dedicated' })), true);
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', h, s({ 'aggregate_instance_extra_specs:gpu': 'true' })), false);
    assert.equal(passes('AggregateInstanceExtraSpecsFilter', host('b'), s({ ssd: 'true' })), false);
  });
});

describe('NumInstancesFilter / IoOpsFilter', () => {
  it('num instances below the limit', () => {
    assert.equal(passes('NumInstancesFilter', host('a', { num_instances: 49 }), spec()), true);
    assert.equal(passes('NumInstancesFilter', host('a', { num_instances: 50 }), spec()), false);
    assert.equal(passes('NumInstancesFilter', host('a', { num_instances: 3 }), spec(), { max_instances_per_host: 3 }), false);
  });
  it('aggregate override takes the smallest value', () => {
    const h = host('a', { num_instances: 5, aggregates: [{ metadata: { max_instances_per_host: '10' } }, { metadata: { max_instances_per_host: '5' } }] });
    assert.equal(passes('AggregateNumInstancesFilter', h, spec()), false);
    assert.equal(passes('AggregateNumInstancesFilter', host('b', { num_instances: 5 }), spec()), true);
    const bad = host('c', { num_instances: 5, aggregates: [{ metadata: { max_instances_per_host: 'x' } }] });
    assert.equal(passes('AggregateNumInstancesFilter', bad, spec()), true);
  });
  it('io ops below the limit', () => {
    assert.equal(passes('IoOpsFilter', host('a', { num_io_ops: 7 }), spec()), true);
    assert.equal(passes('IoOpsFilter', host('a', { num_io_ops: 8 }), spec()), false);
    assert.equal(passes('AggregateIoOpsFilter', host('a', { num_io_ops: 2, aggregates: [{ metadata: { max_io_ops_per_host: '2' } }] }), spec()), false);
  });
});

describe('ResourceFitFilter', () => {
  it('requested amounts as placement computes them', () => {
    assert.deepEqual(resourceRequest(spec({ flavor: flavor({ root_gb: 10, ephemeral_gb: 5, swap: 1025 }) })), { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 17 });
    assert.deepEqual(resourceRequest(spec({ is_bfv: true, flavor: flavor({ root_gb: 10 }) })), { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 0 });
    assert.equal(resourceRequest(spec({ flavor: flavor({ extra_specs: { 'resources:VCPU': '0' } }) })).VCPU, 0);
  });
  it('(total - reserved) * ratio - used >= requested', () => {
    const s = spec({ flavor: flavor({ vcpus: 4, memory_mb: 4096, root_gb: 10 }) });
    assert.equal(passes('ResourceFitFilter', host('a', { vcpus_total: 4, vcpus_used: 0 }), s), true);
    assert.equal(passes('ResourceFitFilter', host('a', { vcpus_total: 4, vcpus_used: 1 }), s), false);
    assert.equal(passes('ResourceFitFilter', host('a', { vcpus_total: 4, vcpus_used: 4, cpu_allocation_ratio: 2 }), s), true);
    assert.equal(passes('ResourceFitFilter', host('a', { vcpus_total: 4, reserved_host_cpus: 1 }), s), false);
    // RAM: (4608 - 512) * 1.0 = 4096 exactly fits; one more MB used does not.
    assert.equal(passes('ResourceFitFilter', host('a', { memory_mb: 4608 }), s), true);
    assert.equal(passes('ResourceFitFilter', host('a', { memory_mb: 4608, memory_mb_used: 1 }), s), false);
    assert.equal(passes('ResourceFitFilter', host('a', { memory_mb: 4096, reserved_host_memory_mb: 0, ram_allocation_ratio: 1.5, memory_mb_used: 2048 }), s), true);
    assert.equal(passes('ResourceFitFilter', host('a', { local_gb: 10, local_gb_used: 1 }), s), false);
    assert.equal(passes('ResourceFitFilter', host('a', { local_gb: 10, reserved_host_disk_mb: 1 }), s), false);
  });
  it('max_unit: more than the total never fits, whatever the ratio', () => {
    const s = spec({ flavor: flavor({ vcpus: 16 }) });
    assert.equal(passes('ResourceFitFilter', host('a', { vcpus_total: 8, cpu_allocation_ratio: 16 }), s), false);
  });
});

describe('registry', () => {
  it('knows every filter by Nova class name', () => {
    for (const n of ['ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter', 'AvailabilityZoneFilter',
      'ServerGroupAffinityFilter', 'ServerGroupAntiAffinityFilter', 'SameHostFilter', 'DifferentHostFilter',
      'AggregateInstanceExtraSpecsFilter', 'NumInstancesFilter', 'IoOpsFilter', 'ResourceFitFilter']) {
      assert.equal(HOST_FILTERS[n](DEFAULT_FILTER_OPTIONS).name, n);
    }
  });
  it('rejects unknown names', () => assert.throws(() => createFilters(['NoSuchFilter']), /unknown scheduler filter 'NoSuchFilter'/));
});
