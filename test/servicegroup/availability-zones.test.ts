import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Invalid } from '../../src/common/errors';
import { ServiceRecord } from '../../src/objects/service.object';
import {
  AggregateZoneInfo, availableZonesForCreate, azChangeRefusal, DEFAULT_ZONE_OPTIONS, hostAddRefusal, hostAvailabilityZone,
  hostRemoveRefusal, listAvailabilityZones, listAvailabilityZonesDetail, parseAvailabilityZone, pyListRepr, serviceZone,
  servicesWithZones, zonesByHost,
} from '../../src/servicegroup/availability-zones';

let nextId = 1;
function svc(host: string, binary: string, extra: Partial<ServiceRecord> = {}): ServiceRecord {
  const topic = binary === 'nova-compute' ? 'compute' : binary.replace(/^nova-/, '');
  return {
    id: nextId++, uuid: `uuid-${nextId}`, host, binary, topic, report_count: 1, disabled: false, disabled_reason: null,
    forced_down: false, version: 1, last_seen_up: '2025-01-01T00:00:00.000Z', created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:10.000Z', ...extra,
  };
}
const agg = (id: number, hosts: string[], az?: string, name = `agg${id}`): AggregateZoneInfo & { name: string } =>
  ({ id, name, hosts, metadata: az === undefined ? {} : { availability_zone: az } });

const opts = DEFAULT_ZONE_OPTIONS;

describe('zones of services', () => {
  const aggregates = [agg(1, ['c1', 'c2'], 'az1'), agg(2, ['c2'], 'az1'), agg(3, ['c3']), agg(4, ['odd'], 'zb'), agg(5, ['odd'], 'za')];

  it('computes get their aggregates\' zone or the default; other services are internal', () => {
    const byHost = zonesByHost(aggregates);
    assert.deepEqual(byHost.get('c2'), ['az1']);
    assert.equal(byHost.get('c3'), undefined);
    assert.equal(serviceZone(svc('c1', 'nova-compute'), byHost, opts), 'az1');
    assert.equal(serviceZone(svc('c3', 'nova-compute'), byHost, opts), 'nova');
    assert.equal(serviceZone(svc('c1', 'nova-scheduler'), byHost, opts), 'internal');
    assert.equal(serviceZone(svc('odd', 'nova-compute'), byHost, opts), 'za,zb');
    assert.equal(hostAvailabilityZone('c2', aggregates, opts), 'az1');
    assert.equal(hostAvailabilityZone('c9', aggregates, { ...opts, default_availability_zone: 'dflt' }), 'dflt');
    const zoned = servicesWithZones([svc('c1', 'nova-compute'), svc('ctl', 'nova-conductor')], aggregates, { ...opts, internal_service_availability_zone: 'int' });
    assert.deepEqual(zoned.map((s) => s.availability_zone), ['az1', 'int']);
  });
});

describe('os-availability-zone listings', () => {
  const aggregates = [agg(1, ['c1'], 'az1'), agg(2, ['c2'], 'az2'), agg(3, ['c3'], 'az3')];
  const services = [
    svc('ctl', 'nova-conductor'),
    svc('ctl', 'nova-scheduler', { disabled: true }),
    svc('api', 'nova-api'),
    svc('c1', 'nova-compute'),
    svc('c2', 'nova-compute', { disabled: true }),
    svc('c3', 'nova-compute', { forced_down: true }),
    svc('c4', 'nova-compute'),
  ];
  const up = (s: ServiceRecord) => !s.forced_down;

  it('lists available zones (some enabled service) then unavailable ones, hiding internal', () => {
    assert.deepEqual(listAvailabilityZones(services, aggregates, opts), [
      { zoneName: 'az1', zoneState: { available: true }, hosts: null },
      { zoneName: 'az3', zoneState: { available: true }, hosts: null },
      { zoneName: 'nova', zoneState: { available: true }, hosts: null },
      { zoneName: 'az2', zoneState: { available: false }, hosts: null },
    ]);
    assert.deepEqual(availableZonesForCreate(services, aggregates, opts), ['az1', 'az3', 'internal', 'nova']);
    assert.deepEqual(listAvailabilityZones([], aggregates, opts), []);
  });

  it('details the hosts of available zones with liveness, the internal zone included', () => {
    const detail = listAvailabilityZonesDetail(services, aggregates, opts, up);
    assert.deepEqual(detail.map((z) => [z.zoneName, z.zoneState.available]), [['az1', true], ['az3', true], ['internal', true], ['nova', true], ['az2', false]]);
    const byName = Object.fromEntries(detail.map((z) => [z.zoneName, z.hosts]));
    assert.deepEqual(byName.az3, { c3: { 'nova-compute': { available: false, active: true, updated_at: '2025-01-01T00:00:10.000Z' } } });
    assert.deepEqual(Object.keys(byName.internal!), ['ctl'], 'API services are left out');
    assert.deepEqual(Object.keys(byName.internal!.ctl), ['nova-conductor'], 'disabled services are left out');
    assert.equal(byName.internal!.ctl['nova-conductor'].available, true);
    assert.deepEqual(Object.keys(byName.nova!), ['c4']);
    assert.equal(byName.az2, null);
  });
});

describe('parseAvailabilityZone', () => {
  it('splits the legacy az:host:node forms and falls back to default_schedule_zone', () => {
    assert.deepEqual(parseAvailabilityZone('az1'), { availability_zone: 'az1', forced_host: null, forced_node: null });
    assert.deepEqual(parseAvailabilityZone('az1:h1'), { availability_zone: 'az1', forced_host: 'h1', forced_node: null });
    assert.deepEqual(parseAvailabilityZone('az1::n1'), { availability_zone: 'az1', forced_host: null, forced_node: 'n1' });
    assert.deepEqual(parseAvailabilityZone('az1:h1:n1'), { availability_zone: 'az1', forced_host: 'h1', forced_node: 'n1' });
    assert.deepEqual(parseAvailabilityZone(':h1', 'sched'), { availability_zone: 'sched', forced_host: 'h1', forced_node: null });
    assert.deepEqual(parseAvailabilityZone(undefined), { availability_zone: null, forced_host: null, forced_node: null });
    assert.throws(() => parseAvailabilityZone('a:b:c:d'), (e: unknown) => e instanceof Invalid && e.message === 'Invalid input received: Unable to parse availability_zone');
  });
});

describe('aggregate zone consistency rules', () => {
  const z1 = agg(1, ['h1', 'h2'], 'az1', 'zone1');
  const plain = agg(2, ['h2', 'h3'], undefined, 'plain');
  const all = [z1, plain, agg(3, ['h4'], "o'brien")];

  it('ignores changes without the availability_zone key and refuses empty names', () => {
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { ssd: 'true' }, aggregates: all }), null);
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: '' }, aggregates: all }), 'Aggregate plain does not support empty named availability zone');
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: null }, aggregates: all }), 'Aggregate plain does not support empty named availability zone');
  });

  it('refuses a zone that contradicts another aggregate of the same hosts', () => {
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: 'az2' }, aggregates: all }), "One or more hosts already in availability zone(s) ['az1']");
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: 'az1' }, aggregates: all }), null);
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: { availability_zone: 'az1-renamed' }, aggregates: all }), null, 'its own zone does not count');
    // add_host: the aggregate's own zone against the new host's other aggregates
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: z1.metadata, hosts: ['h4'], aggregates: all }), `One or more hosts already in availability zone(s) ["o'brien"]`);
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: z1.metadata, hosts: ['h3'], aggregates: all }), null);
    assert.equal(azChangeRefusal({ aggregate: agg(9, []), metadata: { availability_zone: 'x' }, aggregates: all }), null, 'no hosts, nothing to contradict');
  });

  it('refuses a zone change that would move instances, and an optional reserved name', () => {
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: { availability_zone: 'azX' }, aggregates: [z1], instancesOnHosts: 1 }), 'One or more hosts contain instances in this zone');
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: { availability_zone: 'az1' }, aggregates: [z1], instancesOnHosts: 1 }), null);
    assert.equal(azChangeRefusal({ aggregate: z1, metadata: { availability_zone: 'azX' }, aggregates: [z1], instancesOnHosts: 0 }), null);
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: 'internal' }, aggregates: [], reservedZone: 'internal' }), 'Availability zone internal is reserved for internal services');
    assert.equal(azChangeRefusal({ aggregate: plain, metadata: { availability_zone: 'internal' }, aggregates: [] }), null, 'Nova itself allows it');
  });

  it('refuses moving a host with instances into or out of a zone', () => {
    assert.equal(hostAddRefusal(z1, [], 0), null);
    assert.equal(hostAddRefusal(plain, [], 3), null, 'an aggregate without zone changes nothing');
    assert.equal(hostAddRefusal(z1, [agg(7, ['h9'], 'az1')], 3), null, 'same zone');
    assert.match(hostAddRefusal(z1, [], 3)!, /^The host cannot be added to the aggregate as the availability zone of the host would change from 'None' to 'az1' but the host already has 3 instance\(s\)\. /);
    assert.equal(hostRemoveRefusal(plain, [plain], 2), null);
    assert.equal(hostRemoveRefusal(z1, [z1, agg(8, ['h1'], 'az1')], 2), null, 'another aggregate keeps the zone');
    assert.match(hostRemoveRefusal(z1, [z1], 2)!, /^The host cannot be removed from the aggregate as the availability zone of the host would change from 'az1' to 'None' but the host already has 2 instance\(s\)\. /);
  });

  it('renders lists as Python does', () => {
    assert.equal(pyListRepr([]), '[]');
    assert.equal(pyListRepr(['a', 'b']), "['a', 'b']");
    assert.equal(pyListRepr(["it's"]), `["it's"]`);
    assert.equal(pyListRepr([`it's "x"`]), `['it\\'s "x"']`);
  });
});
