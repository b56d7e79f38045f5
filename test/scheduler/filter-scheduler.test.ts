import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FilterScheduler, seededRandom, selectDestinations } from '../../src/scheduler/filter-scheduler';
import type { RequestSpec } from '../../src/scheduler/request-spec';
import { flavor, host, spec } from './helpers';

const names = (sel: { service_host: string }[]): string[] => sel.map((s) => s.service_host);

describe('FilterScheduler', () => {
  it('picks the best host (most free RAM) and returns alternates in weight order', () => {
    const hosts = [host('a', { memory_mb: 4608 }), host('b', { memory_mb: 16896 }), host('c', { memory_mb: 8704 }), host('d', { memory_mb: 6656 })];
    const r = new FilterScheduler({ weight_classes: ['RAMWeigher'] }).selectDestinations(hosts, { spec: spec(), random: seededRandom(1) });
    assert.equal(r.selections.length, 1);
    assert.deepEqual(names(r.selections[0]), ['b', 'c', 'd']);
    assert.equal(r.selections[0][0].compute_node_uuid, 'b-uuid');
    assert.equal(r.selections[0][0].availability_zone, 'nova');
  });

  it('max_attempts bounds the alternates; none when not asked for', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e'].map((n, i) => host(n, { memory_mb: 4096 + i * 1024 }));
    const s = new FilterScheduler({ weight_classes: ['RAMWeigher'], max_attempts: 5 });
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec() }).selections[0]), ['e', 'd', 'c', 'b', 'a']);
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec(), return_alternates: false }).selections[0]), ['e']);
    const one = new FilterScheduler({ weight_classes: ['RAMWeigher'], max_attempts: 1 });
    assert.deepEqual(names(one.selectDestinations(hosts, { spec: spec() }).selections[0]), ['e']);
  });

  it('host_subset_size picks among the best N with the injected random source', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e'].map((n, i) => host(n, { memory_mb: 4096 + i * 1024 }));
    const s = new FilterScheduler({ weight_classes: ['RAMWeigher'], host_subset_size: 3 });
    const seen = new Set<string>();
    const rnd = seededRandom(42);
    for (let i = 0; i < 200; i++) seen.add(s.selectDestinations(hosts, { spec: spec(), random: rnd }).selections[0][0].service_host);
    assert.deepEqual([...seen].sort(), ['c', 'd', 'e']);
    // Deterministic for a given seed; random() = 0.99 picks the 3rd best, the rest stay sorted.
    const a1 = s.selectDestinations(hosts, { spec: spec(), random: seededRandom(7) }).selections;
    const a2 = s.selectDestinations(hosts, { spec: spec(), random: seededRandom(7) }).selections;
    assert.deepEqual(a1, a2);
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec(), random: () => 0.99 }).selections[0]), ['c', 'e', 'd']);
  });

  it('spreads 3 instances over 2 hosts with room for 2 each, consuming resources', () => {
    // Each host: 2 vCPUs (ratio 1), so two 1-vCPU instances fit; RAM weigher spreads.
    const hosts = [host('a', { vcpus_total: 2 }), host('b', { vcpus_total: 2, memory_mb: 16000 })];
    const s = new FilterScheduler({ max_attempts: 2 });
    const r = s.selectDestinations(hosts, { spec: spec({ num_instances: 3 }), instance_uuids: ['i1', 'i2', 'i3'] });
    assert.equal(r.selections.length, 3);
    assert.deepEqual(r.selections.map((x) => x[0].service_host), ['a', 'b', 'a']);
    assert.equal(r.host_states[0].vcpus_used, 2);
    assert.equal(r.host_states[1].vcpus_used, 1);
    assert.equal(r.host_states[0].num_instances, 2);
    assert.equal(r.host_states[0].free_ram_mb, 16384 - 512 - 2 * 2048);
    assert.equal(r.host_states[0].num_io_ops, 2);
    // The caller's host states are untouched.
    assert.equal(hosts[0].vcpus_used, 0);
    // A 5th instance does not fit anywhere: no valid host.
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ num_instances: 5 }) }).selections, []);
  });

  it('stacks with a negative RAM multiplier', () => {
    const hosts = [host('a', { vcpus_total: 4 }), host('b', { vcpus_total: 4, memory_mb: 16000 })];
    const s = new FilterScheduler({ weight_classes: ['RAMWeigher'], weigher_options: { ram_weight_multiplier: -1 } });
    const r = s.selectDestinations(hosts, { spec: spec({ num_instances: 3 }) });
    assert.deepEqual(r.selections.map((x) => x[0].service_host), ['b', 'b', 'b']);
  });

  it('anti-affinity places each member on a different host', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((n) => host(n));
    const s: RequestSpec = spec({ num_instances: 3, instance_group: { policy: 'anti-affinity', hosts: [], members: ['m1', 'm2', 'm3'] } });
    const r = new FilterScheduler().selectDestinations(hosts, { spec: s, instance_uuids: ['m1', 'm2', 'm3'], random: seededRandom(3) });
    const picked = r.selections.map((x) => x[0].service_host);
    assert.equal(new Set(picked).size, 3);
    // Alternates never repeat a chosen host.
    for (const sel of r.selections) for (const alt of sel.slice(1)) assert.ok(!picked.includes(alt.service_host));
    assert.deepEqual(s.instance_group?.hosts, []);
    // Not enough hosts for 5 members: no valid host.
    const s5: RequestSpec = { ...s, num_instances: 5, instance_group: { policy: 'anti-affinity', hosts: [], members: ['1', '2', '3', '4', '5'] } };
    assert.deepEqual(new FilterScheduler().selectDestinations(hosts, { spec: s5, instance_uuids: ['1', '2', '3', '4', '5'] }).selections, []);
  });

  it('anti-affinity with max_server_per_host 2 packs two per host', () => {
    const hosts = ['a', 'b'].map((n) => host(n));
    const members = ['m1', 'm2', 'm3', 'm4'];
    const s: RequestSpec = spec({ num_instances: 4, instance_group: { policy: 'anti-affinity', rules: { max_server_per_host: 2 }, hosts: [], members } });
    const r = new FilterScheduler().selectDestinations(hosts, { spec: s, instance_uuids: members });
    assert.deepEqual(r.selections.map((x) => x[0].service_host).sort(), ['a', 'a', 'b', 'b']);
  });

  it('affinity keeps every member on the first chosen host', () => {
    const hosts = ['a', 'b', 'c'].map((n) => host(n));
    const members = ['m1', 'm2', 'm3'];
    const s: RequestSpec = spec({ num_instances: 3, instance_group: { policy: 'affinity', hosts: [], members } });
    const r = new FilterScheduler().selectDestinations(hosts, { spec: s, instance_uuids: members, random: seededRandom(9) });
    assert.equal(new Set(r.selections.map((x) => x[0].service_host)).size, 1);
  });

  it('no valid host when nothing passes', () => {
    const hosts = [host('a', { service_up: false }), host('b', { service_disabled: true })];
    assert.deepEqual(selectDestinations(hosts, { spec: spec() }).selections, []);
    assert.deepEqual(selectDestinations([], { spec: spec() }).selections, []);
    assert.deepEqual(selectDestinations([host('a')], { spec: spec({ flavor: flavor({ vcpus: 64 }) }) }).selections, []);
  });

  it('ignore_hosts, force_hosts (filters skipped) and force_nodes', () => {
    const hosts = [host('a', { memory_mb: 32768 }), host('b'), host('c', { service_up: false })];
    const s = new FilterScheduler({ weight_classes: ['RAMWeigher'] });
    assert.equal(s.selectDestinations(hosts, { spec: spec({ ignore_hosts: ['A'] }) }).selections[0][0].service_host, 'b');
    assert.equal(s.selectDestinations(hosts, { spec: spec({ force_hosts: ['c'] }) }).selections[0][0].service_host, 'c');
    assert.equal(s.selectDestinations(hosts, { spec: spec({ force_nodes: ['b'] }) }).selections[0][0].service_host, 'b');
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ force_hosts: ['zzz'] }) }).selections, []);
  });

  it('build failures move a host behind the others', () => {
    const hosts = [host('a', { memory_mb: 32768, failed_builds: 1 }), host('b')];
    assert.equal(new FilterScheduler().selectDestinations(hosts, { spec: spec() }).selections[0][0].service_host, 'b');
  });

  it('alternates stay in the chosen host cell', () => {
    const hosts = [host('a', { cell_uuid: 'c1', memory_mb: 32768 }), host('b', { cell_uuid: 'c2', memory_mb: 20000 }), host('c', { cell_uuid: 'c1' })];
    const r = new FilterScheduler({ weight_classes: ['RAMWeigher'] }).selectDestinations(hosts, { spec: spec() });
    assert.deepEqual(names(r.selections[0]), ['a', 'c']);
  });

  it('ranks consistently whether it fully sorts or keeps the top few', () => {
    const rnd = seededRandom(5);
    const hosts = Array.from({ length: 500 }, (_, i) => host(`h${i}`, { memory_mb: 4096 + Math.floor(rnd() * 20) * 512 }));
    const few = new FilterScheduler({ weight_classes: ['RAMWeigher'] }).selectDestinations(hosts, { spec: spec() }).selections[0];
    const sorted = hosts.map((h, i) => ({ h, i })).sort((x, y) => y.h.free_ram_mb - x.h.free_ram_mb || x.i - y.i).slice(0, 3);
    assert.deepEqual(names(few), sorted.map((x) => x.h.host));
  });

  it('NumInstancesFilter and IoOpsFilter see the instances consumed earlier in the request', () => {
    const hosts = [host('a', { num_instances: 1 }), host('b', { num_io_ops: 1 }), host('c')];
    const s = new FilterScheduler({
      enabled_filters: ['ResourceFitFilter', 'NumInstancesFilter', 'IoOpsFilter'], weight_classes: [],
      filter_options: { max_instances_per_host: 2, max_io_ops_per_host: 2 },
    });
    const r = s.selectDestinations(hosts, { spec: spec({ num_instances: 3 }) });
    // Equal weights: ties go to the earlier host; a and b take one more instance each, c two.
    assert.deepEqual(r.selections.map((x) => x[0].service_host), ['a', 'b', 'c']);
    const four = s.selectDestinations(hosts, { spec: spec({ num_instances: 4 }) });
    assert.deepEqual(four.selections.map((x) => x[0].service_host), ['a', 'b', 'c', 'c']);
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ num_instances: 5 }) }).selections, []);
  });

  it('a spread request of 2 on 3 equal hosts gets distinct hosts and an unclaimed alternate', () => {
    const hosts = ['a', 'b', 'c'].map((n) => host(n));
    const r = new FilterScheduler().selectDestinations(hosts, { spec: spec({ num_instances: 2 }), instance_uuids: ['i1', 'i2'] });
    assert.deepEqual(r.selections.map((x) => names(x)), [['a', 'c'], ['b', 'c']]);
  });
});

