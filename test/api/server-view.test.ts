import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../src/api/http/request-context';
import { parseVersion } from '../../src/api/microversion/api-version';
import {
  serverCreateResponse, serverDetail, serverIndexItem, serverRebuildResponse, serversLinks, serverUpdateResponse, ServerViewExtras,
} from '../../src/api/views/server.view';
import { instanceActionItem, instanceActionShow, instanceActionsLinks } from '../../src/api/views/instance-action.view';
import type { InstanceRecord } from '../../src/objects/instance.object';
import type { InstanceActionRecord } from '../../src/objects/instance-action.object';

const UUID = '5a0c1d2e-0000-4000-8000-000000000001';
const IMAGE = 'c0ffee00-0000-4000-8000-000000000002';

function ctx(version: string, opts: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req-1', globalRequestId: null, userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, authToken: 't',
    version: parseVersion(version), urlProjectId: null, baseUrl: 'http://ctl:8774', ...opts,
  };
}

function inst(over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id: 1, uuid: UUID, display_name: 'vm1', display_description: 'desc', hostname: 'vm1', project_id: 'p1', user_id: 'u1',
    vm_state: 'active', task_state: null, power_state: 1, host: 'cmp1', node: 'cmp1.node', launched_on: 'cmp1',
    scheduled_at: null, launched_at: '2024-05-01T10:00:09.123Z', terminated_at: null, image_ref: IMAGE,
    kernel_id: '', ramdisk_id: '', instance_type_id: 1,
    flavor: { id: 1, flavorid: '42', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: { 'hw:cpu': 'x' } },
    new_flavor: null, old_flavor: null, key_name: 'k1', key_data: null, user_data: 'ZGF0YQ==', availability_zone: 'nova',
    reservation_id: 'r-ab12cd34', launch_index: 0, locked: false, locked_by: null, locked_reason: null,
    access_ip_v4: null, access_ip_v6: null, config_drive: '', progress: 0, root_device_name: '/dev/vda', auto_disk_config: false,
    metadata: { a: 'b' }, system_metadata: {}, tags: ['t1'], fault: null,
    created_at: '2024-05-01T10:00:00.500Z', updated_at: '2024-05-01T10:00:09.000Z', deleted_at: null, deleted: false,
    ...over,
  };
}

const user: ServerViewExtras = { isAdmin: false, showExtended: false, showHostStatus: false, hostStatus: 'UP', showFlavorExtraSpecs: true, forList: false };
const admin: ServerViewExtras = { ...user, isAdmin: true, showExtended: true, showHostStatus: true };
const addresses = { private: [{ addr: '10.0.0.5', version: 4 as const, type: 'fixed' as const, mac: 'fa:16:3e:00:00:01' }] };

const BASE_KEYS = [
  'OS-DCF:diskConfig', 'OS-EXT-AZ:availability_zone', 'OS-EXT-STS:power_state', 'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state',
  'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at', 'accessIPv4', 'accessIPv6', 'addresses', 'config_drive', 'created', 'flavor',
  'hostId', 'id', 'image', 'key_name', 'links', 'metadata', 'name', 'os-extended-volumes:volumes_attached', 'progress', 'status',
  'tenant_id', 'updated', 'user_id',
];
const ADMIN_21 = ['OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'OS-EXT-SRV-ATTR:instance_name'];
const ADMIN_23 = [
  'OS-EXT-SRV-ATTR:hostname', 'OS-EXT-SRV-ATTR:kernel_id', 'OS-EXT-SRV-ATTR:launch_index', 'OS-EXT-SRV-ATTR:ramdisk_id',
  'OS-EXT-SRV-ATTR:reservation_id', 'OS-EXT-SRV-ATTR:root_device_name', 'OS-EXT-SRV-ATTR:user_data',
];
const keys = (o: Record<string, unknown>) => Object.keys(o).sort();
const sorted = (...lists: string[][]) => lists.flat().sort();

describe('server view', () => {
  it('2.1: base fields for a user; admin adds the three OS-EXT-SRV-ATTR fields', () => {
    assert.deepEqual(keys(serverDetail(ctx('2.1'), inst(), user)), sorted(BASE_KEYS));
    const a = serverDetail(ctx('2.1'), inst(), admin);
    assert.deepEqual(keys(a), sorted(BASE_KEYS, ADMIN_21));
    assert.equal(a['OS-EXT-SRV-ATTR:instance_name'], 'instance-00000001');
    assert.equal(serverDetail(ctx('2.1'), inst({ id: 255 }), admin)['OS-EXT-SRV-ATTR:instance_name'], 'instance-000000ff');
    assert.equal(a['OS-EXT-SRV-ATTR:hypervisor_hostname'], 'cmp1.node');
  });

  it('2.1 values: timestamps, hostId, image/flavor links, addresses, empty strings', () => {
    const s = serverDetail(ctx('2.1'), inst(), { ...user, addresses, volumesAttached: [{ id: 'vol1', delete_on_termination: true }] });
    assert.equal(s.created, '2024-05-01T10:00:00Z');
    assert.equal(s.updated, '2024-05-01T10:00:09Z');
    assert.equal(s['OS-SRV-USG:launched_at'], '2024-05-01T10:00:09.123000');
    assert.equal(s['OS-SRV-USG:terminated_at'], null);
    assert.equal(s.hostId, createHash('sha224').update('p1cmp1').digest('hex'));
    assert.equal(serverDetail(ctx('2.1'), inst({ host: null }), user).hostId, '');
    assert.deepEqual(s.image, { id: IMAGE, links: [{ rel: 'bookmark', href: `http://ctl:8774/images/${IMAGE}` }] });
    assert.equal(serverDetail(ctx('2.1'), inst({ image_ref: '' }), user).image, '');
    assert.equal((serverDetail(ctx('2.1'), inst({ image_ref: `http://glance/v2/images/${IMAGE}` }), user).image as { id: string }).id, IMAGE);
    assert.deepEqual(s.flavor, { id: '42', links: [{ rel: 'bookmark', href: 'http://ctl:8774/flavors/42' }] });
    assert.deepEqual(s.addresses, { private: [{ version: 4, addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01' }] });
    assert.deepEqual(serverDetail(ctx('2.1'), inst({ vm_state: 'building' }), { ...user, addresses }).addresses, {});
    assert.equal(s.accessIPv4, '');
    assert.equal(s.accessIPv6, '');
    assert.equal(s['OS-DCF:diskConfig'], 'MANUAL');
    assert.equal(serverDetail(ctx('2.1'), inst({ auto_disk_config: true }), user)['OS-DCF:diskConfig'], 'AUTO');
    assert.equal(serverDetail(ctx('2.1'), inst({ availability_zone: null }), user)['OS-EXT-AZ:availability_zone'], '');
    assert.equal(serverDetail(ctx('2.1'), inst(), { ...user, availabilityZone: 'az2' })['OS-EXT-AZ:availability_zone'], 'az2');
    assert.equal(s.config_drive, '');
    assert.equal(serverDetail(ctx('2.1'), inst({ config_drive: 'True' }), user).config_drive, 'True');
    assert.deepEqual(s['os-extended-volumes:volumes_attached'], [{ id: 'vol1' }]);
    assert.equal(s.security_groups, undefined, 'no groups → key omitted');
    assert.deepEqual(serverDetail(ctx('2.1'), inst(), { ...user, securityGroups: ['default'] }).security_groups, [{ name: 'default' }]);
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(s.metadata, { a: 'b' });
  });

  it('links with and without the legacy project-id URL', () => {
    const plain = serverIndexItem(ctx('2.1'), inst());
    assert.deepEqual(plain, {
      id: UUID, name: 'vm1',
      links: [{ rel: 'self', href: `http://ctl:8774/v2.1/servers/${UUID}` }, { rel: 'bookmark', href: `http://ctl:8774/servers/${UUID}` }],
    });
    const legacy = ctx('2.1', { urlProjectId: 'p1' });
    assert.deepEqual(serverIndexItem(legacy, inst()).links, [
      { rel: 'self', href: `http://ctl:8774/v2.1/p1/servers/${UUID}` }, { rel: 'bookmark', href: `http://ctl:8774/p1/servers/${UUID}` },
    ]);
    const s = serverDetail(legacy, inst(), user);
    assert.equal((s.image as { links: Array<{ href: string }> }).links[0].href, `http://ctl:8774/p1/images/${IMAGE}`);
    assert.equal((s.flavor as { links: Array<{ href: string }> }).links[0].href, 'http://ctl:8774/p1/flavors/42');
  });

  it('2.3: admin gets the extended attributes and delete_on_termination; users do not', () => {
    const extras = { volumesAttached: [{ id: 'vol1', delete_on_termination: false }] };
    assert.deepEqual(keys(serverDetail(ctx('2.3'), inst(), { ...user, ...extras })), sorted(BASE_KEYS));
    const a = serverDetail(ctx('2.3'), inst(), { ...admin, ...extras });
    assert.deepEqual(keys(a), sorted(BASE_KEYS, ADMIN_21, ADMIN_23));
    assert.equal(a['OS-EXT-SRV-ATTR:reservation_id'], 'r-ab12cd34');
    assert.equal(a['OS-EXT-SRV-ATTR:user_data'], 'ZGF0YQ==');
    assert.deepEqual(a['os-extended-volumes:volumes_attached'], [{ id: 'vol1', delete_on_termination: false }]);
  });

  it('2.16: locked (2.9) and host_status per policy', () => {
    const u = serverDetail(ctx('2.16'), inst({ locked_by: 'owner' }), user);
    assert.deepEqual(keys(u), sorted(BASE_KEYS, ['locked']));
    assert.equal(u.locked, true);
    assert.equal(serverDetail(ctx('2.15'), inst(), admin).host_status, undefined);
    assert.equal(serverDetail(ctx('2.16'), inst(), admin).host_status, 'UP');
    assert.equal(serverDetail(ctx('2.16'), inst(), { ...admin, hostStatus: '' }).host_status, '');
    assert.equal(serverDetail(ctx('2.16'), inst(), { ...user, showHostStatus: 'unknown-only' }).host_status, undefined);
    assert.equal(serverDetail(ctx('2.16'), inst(), { ...user, showHostStatus: 'unknown-only', hostStatus: 'UNKNOWN' }).host_status, 'UNKNOWN');
    assert.equal(serverDetail(ctx('2.16'), inst(), { ...admin, hostStatus: undefined }).host_status, undefined);
  });

  it('2.47: flavor inlined, extra_specs per policy; description/tags present', () => {
    const s = serverDetail(ctx('2.47'), inst(), user);
    assert.deepEqual(s.flavor, { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: { 'hw:cpu': 'x' } });
    assert.deepEqual(keys(serverDetail(ctx('2.47'), inst(), { ...user, showFlavorExtraSpecs: false }).flavor as Record<string, unknown>),
      ['disk', 'ephemeral', 'original_name', 'ram', 'swap', 'vcpus']);
    assert.equal(s.description, 'desc');
    assert.deepEqual(s.tags, ['t1']);
    assert.deepEqual(keys(s), sorted(BASE_KEYS, ['locked', 'description', 'tags']));
  });

  it('2.73: trusted certs, server_groups (show only), locked_reason', () => {
    const s = serverDetail(ctx('2.73'), inst({ locked_by: 'admin', locked_reason: 'maint' }), { ...user, serverGroups: ['g1'] });
    assert.deepEqual(keys(s), sorted(BASE_KEYS, ['locked', 'description', 'tags', 'trusted_image_certificates', 'server_groups', 'locked_reason']));
    assert.equal(s.trusted_image_certificates, null);
    assert.deepEqual(s.server_groups, ['g1']);
    assert.equal(s.locked_reason, 'maint');
    assert.equal(serverDetail(ctx('2.73'), inst({ system_metadata: { locked_reason: 'sm' } }), user).locked_reason, 'sm');
    assert.equal(serverDetail(ctx('2.73'), inst(), user).locked_reason, null);
    const listed = serverDetail(ctx('2.73'), inst(), { ...user, forList: true, serverGroups: ['g1'] });
    assert.equal('server_groups' in listed, false);
    assert.equal('server_groups' in serverDetail(ctx('2.70'), inst(), user), false);
  });

  it('2.90: hostname for everyone; 2.96: pinned_availability_zone', () => {
    const u = serverDetail(ctx('2.90'), inst(), user);
    assert.equal(u['OS-EXT-SRV-ATTR:hostname'], 'vm1');
    assert.equal(u['OS-EXT-SRV-ATTR:host'], undefined);
    assert.equal('OS-EXT-SRV-ATTR:hostname' in serverDetail(ctx('2.89'), inst(), user), false);
    assert.equal('pinned_availability_zone' in u, false);
    const pinned = serverDetail(ctx('2.96'), inst(), { ...user, pinnedAvailabilityZone: 'az1' });
    assert.equal(pinned.pinned_availability_zone, 'az1');
    assert.equal(serverDetail(ctx('2.96'), inst(), user).pinned_availability_zone, null);
    const a = serverDetail(ctx('2.96'), inst(), admin);
    assert.deepEqual(keys(a), sorted(BASE_KEYS, ADMIN_21, ADMIN_23, [
      'locked', 'host_status', 'description', 'tags', 'trusted_image_certificates', 'server_groups', 'locked_reason', 'pinned_availability_zone',
    ]));
  });

  it('status mapping and progress visibility', () => {
    const cases: Array<[Partial<InstanceRecord>, string, boolean]> = [
      [{}, 'ACTIVE', true],
      [{ vm_state: 'building', task_state: 'spawning' }, 'BUILD', true],
      [{ task_state: 'rebooting_hard' }, 'HARD_REBOOT', false],
      [{ task_state: 'rebooting' }, 'REBOOT', false],
      [{ task_state: 'resize_prep' }, 'RESIZE', true],
      [{ vm_state: 'resized' }, 'VERIFY_RESIZE', true],
      [{ vm_state: 'resized', task_state: 'resize_reverting' }, 'REVERT_RESIZE', false],
      [{ task_state: 'migrating' }, 'MIGRATING', true],
      [{ vm_state: 'stopped', task_state: 'rebuilding' }, 'REBUILD', true],
      [{ vm_state: 'stopped' }, 'SHUTOFF', false],
      [{ vm_state: 'error' }, 'ERROR', false],
      [{ vm_state: 'soft-delete' }, 'SOFT_DELETED', false],
      [{ vm_state: 'shelved_offloaded' }, 'SHELVED_OFFLOADED', false],
      [{ deleted: true }, 'DELETED', false],
      [{ vm_state: 'bogus' }, 'UNKNOWN', false],
    ];
    for (const [over, status, progress] of cases) {
      const s = serverDetail(ctx('2.1'), inst({ progress: 37, ...over }), user);
      assert.equal(s.status, status, JSON.stringify(over));
      assert.equal('progress' in s, progress, `progress for ${status}`);
      if (progress) assert.equal(s.progress, 37);
    }
    assert.equal(serverDetail(ctx('2.1'), inst({ progress: null }), user).progress, 0);
  });

  it('fault only for ERROR/DELETED; details for admins or non-500 codes', () => {
    const fault = { code: 500, message: 'boom', details: 'Traceback…', host: 'cmp1', created_at: '2024-05-01T10:01:02.345Z' };
    assert.equal('fault' in serverDetail(ctx('2.1'), inst({ fault }), user), false, 'ACTIVE hides the fault');
    assert.equal('fault' in serverDetail(ctx('2.1'), inst({ vm_state: 'error' }), user), false, 'no fault row');
    assert.deepEqual(serverDetail(ctx('2.1'), inst({ vm_state: 'error', fault }), user).fault, { code: 500, created: '2024-05-01T10:01:02Z', message: 'boom' });
    assert.deepEqual(serverDetail(ctx('2.1'), inst({ vm_state: 'error', fault }), admin).fault, { code: 500, created: '2024-05-01T10:01:02Z', message: 'boom', details: 'Traceback…' });
    assert.equal((serverDetail(ctx('2.1'), inst({ deleted: true, fault: { ...fault, code: 404 } }), user).fault as Record<string, unknown>).details, 'Traceback…');
    assert.equal('details' in (serverDetail(ctx('2.1'), inst({ vm_state: 'error', fault: { ...fault, details: null } }), admin).fault as object), false);
  });

  it('create response', () => {
    assert.deepEqual(serverCreateResponse(ctx('2.1'), inst(), { adminPass: 'pw' }), {
      server: {
        id: UUID, links: serverIndexItem(ctx('2.1'), inst()).links, 'OS-DCF:diskConfig': 'MANUAL',
        security_groups: [{ name: 'default' }], adminPass: 'pw',
      },
    });
    const r = serverCreateResponse(ctx('2.1'), inst({ auto_disk_config: true }), { securityGroups: ['web', 'db'] });
    assert.deepEqual(r.server.security_groups, [{ name: 'web' }, { name: 'db' }]);
    assert.equal('adminPass' in r.server, false);
    assert.equal(r.server['OS-DCF:diskConfig'], 'AUTO');
  });

  it('update response: reduced before 2.75, show body from 2.75', () => {
    const reduced = serverUpdateResponse(ctx('2.74'), inst(), { ...admin, addresses, securityGroups: ['default'] }).server;
    assert.deepEqual(keys(reduced), [
      'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6', 'addresses', 'created', 'description', 'flavor', 'hostId', 'id', 'image', 'links',
      'locked', 'locked_reason', 'metadata', 'name', 'progress', 'server_groups', 'status', 'tags', 'tenant_id', 'trusted_image_certificates',
      'updated', 'user_id',
    ]);
    assert.deepEqual(reduced.addresses, { private: [{ version: 4, addr: '10.0.0.5' }] });
    assert.deepEqual(keys(serverUpdateResponse(ctx('2.1'), inst(), admin).server), [
      'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6', 'addresses', 'created', 'flavor', 'hostId', 'id', 'image', 'links', 'metadata', 'name',
      'progress', 'status', 'tenant_id', 'updated', 'user_id',
    ]);
    const full = serverUpdateResponse(ctx('2.75'), inst(), { ...admin, forList: true }).server;
    assert.deepEqual(full, serverDetail(ctx('2.75'), inst(), admin));
  });

  it('rebuild response: key_name 2.54, user_data 2.57 at top level, adminPass', () => {
    const r = serverRebuildResponse(ctx('2.57'), inst(), admin, { adminPass: 'pw' }).server;
    assert.equal(r.key_name, 'k1');
    assert.equal(r.user_data, 'ZGF0YQ==');
    assert.equal(r.adminPass, 'pw');
    assert.equal('OS-EXT-SRV-ATTR:host' in r, false);
    assert.equal('key_name' in serverRebuildResponse(ctx('2.53'), inst(), admin).server, false);
    const full = serverRebuildResponse(ctx('2.75'), inst(), admin).server;
    assert.equal(full['OS-EXT-SRV-ATTR:host'], 'cmp1');
    assert.equal('OS-EXT-SRV-ATTR:user_data' in full, false);
    assert.equal(full.user_data, 'ZGF0YQ==');
  });

  it('servers_links: next link only when the page is full', () => {
    const page = [inst({ uuid: 'a' }), inst({ uuid: 'b' })];
    assert.equal(serversLinks(ctx('2.1'), 'servers', { limit: ['3'] }, 3, page), undefined);
    assert.deepEqual(serversLinks(ctx('2.1'), 'servers/detail', { limit: ['2'], name: ['vm'] }, 2, page), [
      { rel: 'next', href: 'http://ctl:8774/v2.1/servers/detail?limit=2&name=vm&marker=b' },
    ]);
    assert.deepEqual(serversLinks(ctx('2.1', { urlProjectId: 'p1' }), 'servers', { limit: ['2'], marker: ['x'] }, 2, page), [
      { rel: 'next', href: 'http://ctl:8774/v2.1/p1/servers?limit=2&marker=b' },
    ]);
    assert.equal(serversLinks(ctx('2.1'), 'servers', {}, 0, []), undefined);
  });
});

describe('instance action view', () => {
  const action: InstanceActionRecord = {
    id: 7, action: 'stop', instance_uuid: UUID, request_id: 'req-abc', user_id: 'u1', project_id: 'p1',
    start_time: '2024-05-01T10:00:00Z', finish_time: null, message: null, updated_at: '2024-05-01T10:00:01.5Z',
    events: [{ event: 'compute_stop_instance', start_time: '2024-05-01T10:00:00Z', finish_time: '2024-05-01T10:00:01Z', result: 'Success', traceback: null, host: 'cmp1', details: null }],
  };
  const user = { canSeeEvents: false, canSeeEventDetails: false, instanceProjectId: 'p1' };
  const admin = { canSeeEvents: true, canSeeEventDetails: true, instanceProjectId: 'p1' };
  const ITEM = ['action', 'instance_uuid', 'message', 'project_id', 'request_id', 'start_time', 'user_id'];

  it('list item per version', () => {
    const a = instanceActionItem(ctx('2.1'), action);
    assert.deepEqual(keys(a), ITEM);
    assert.equal(a.start_time, '2024-05-01T10:00:00.000000');
    const b = instanceActionItem(ctx('2.58'), action);
    assert.deepEqual(keys(b), sorted(ITEM, ['updated_at']));
    assert.equal(b.updated_at, '2024-05-01T10:00:01.500000');
  });

  it('show: events for non-admins from 2.51; traceback/host/details admin-only; hostId 2.62', () => {
    assert.equal('events' in instanceActionShow(ctx('2.50'), action, user), false);
    const ev = (v: string, x: typeof user) => (instanceActionShow(ctx(v), action, x).events as Array<Record<string, unknown>>)[0];
    assert.deepEqual(keys(ev('2.1', admin)), ['event', 'finish_time', 'result', 'start_time', 'traceback']);
    assert.deepEqual(keys(ev('2.51', user)), ['event', 'finish_time', 'result', 'start_time']);
    assert.deepEqual(keys(ev('2.62', user)), ['event', 'finish_time', 'hostId', 'result', 'start_time']);
    assert.deepEqual(keys(ev('2.62', admin)), ['event', 'finish_time', 'host', 'hostId', 'result', 'start_time', 'traceback']);
    assert.deepEqual(keys(ev('2.84', admin)), ['details', 'event', 'finish_time', 'host', 'hostId', 'result', 'start_time', 'traceback']);
    assert.deepEqual(keys(ev('2.84', user)), ['event', 'finish_time', 'hostId', 'result', 'start_time']);
    assert.equal(ev('2.62', user).hostId, createHash('sha224').update('p1cmp1').digest('hex'));
    const periodic = instanceActionShow(ctx('2.62'), { ...action, project_id: null }, { ...user, instanceProjectId: 'p9' });
    assert.equal((periodic.events as Array<Record<string, unknown>>)[0].hostId, createHash('sha224').update('p9cmp1').digest('hex'));
    assert.equal(ev('2.84', admin).finish_time, '2024-05-01T10:00:01.000000');
  });

  it('list links use request_id as marker', () => {
    assert.deepEqual(instanceActionsLinks(ctx('2.58'), UUID, { limit: ['1'] }, 1, [action]), [
      { rel: 'next', href: `http://ctl:8774/v2.1/servers/${UUID}/os-instance-actions?limit=1&marker=req-abc` },
    ]);
  });
});
