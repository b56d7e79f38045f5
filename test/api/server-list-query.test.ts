// The server list query parser against Nova's `_get_servers` (servers.py), the index_query*
// schemas and common.py: every expected message is Nova's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Forbidden, Invalid } from '../../src/common/errors';
import { parseVersion } from '../../src/api/microversion/api-version';
import { isPythonRegex, parseIsoTime, parseServerListQuery, ServerListCaller, strictBool } from '../../src/api/servers/list-query';

const MAX = 1000;
type Q = Record<string, string | string[]>;

function caller(version: string, isAdmin: boolean, extra: Partial<ServerListCaller> = {}): ServerListCaller {
  return { isAdmin, projectId: 'p1', userId: 'u1', version: parseVersion(version), ...extra };
}
const user = (version = '2.1', extra: Partial<ServerListCaller> = {}) => caller(version, false, extra);
const admin = (version = '2.1', extra: Partial<ServerListCaller> = {}) => caller(version, true, extra);

function q(query: Q): Record<string, string[]> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}
const parse = (query: Q, who: ServerListCaller, max = MAX) => parseServerListQuery(q(query), who, max);

/** The error a call fails with, checked for its class. */
function failure(fn: () => unknown, cls: typeof Invalid | typeof Forbidden = Invalid): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof cls, `not a ${cls.name}: ${String(err)}`);
    return err.message;
  }
  assert.fail('no error');
}

describe('server list query: defaults and scope', () => {
  it('no parameters: own project, live servers only, max_limit page, default order', () => {
    const r = parse({}, user());
    assert.deepEqual(r, {
      options: { filter: { deleted: false, softDeleted: false, exact: { project_id: ['p1'] } }, limit: MAX },
      allTenants: false,
    });
  });

  it('a token without a project is scoped to its user', () => {
    const r = parse({ user_id: 'other' }, admin('2.1', { projectId: '' }));
    assert.deepEqual(r.options.filter.exact, { user_id: ['u1'] });
  });

  it('without all_tenants an admin project_id/tenant_id filter is replaced by the own project', () => {
    const r = parse({ project_id: 'p2', tenant_id: 'p3' }, admin());
    assert.deepEqual(r.options.filter.exact, { project_id: ['p1'] });
    assert.equal(r.allTenants, false);
  });

  it('all_tenants: empty value is true, then project_id / tenant_id are honoured (last one wins)', () => {
    assert.deepEqual(parse({ all_tenants: '' }, admin()).options.filter.exact, undefined);
    assert.equal(parse({ all_tenants: '' }, admin()).allTenants, true);
    assert.deepEqual(parse({ all_tenants: 'True', tenant_id: 'p3' }, admin()).options.filter.exact, { project_id: ['p3'] });
    assert.deepEqual(parse({ all_tenants: '1', project_id: 'p2', tenant_id: 'p3' }, admin()).options.filter.exact, { project_id: ['p3'] });
    assert.deepEqual(parse({ tenant_id: 'p3', project_id: 'p2', all_tenants: 'yes' }, admin()).options.filter.exact, { project_id: ['p2'] });
  });

  it('all_tenants=false (any spelling) keeps the project scope', () => {
    for (const v of ['0', 'false', 'OFF', ' no ']) {
      const r = parse({ all_tenants: v }, admin());
      assert.equal(r.allTenants, false, v);
      assert.deepEqual(r.options.filter.exact, { project_id: ['p1'] });
    }
  });

  it('all_tenants is parsed strictly', () => {
    assert.equal(
      failure(() => parse({ all_tenants: 'bogus' }, admin())),
      "Unrecognized value 'bogus', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
    );
    assert.equal(strictBool(' TRUE '), true);
  });

  it('a non-admin asking for all_tenants is reported; the policy hook runs and may refuse', () => {
    const r = parse({ all_tenants: '1' }, user());
    assert.equal(r.allTenants, true);
    assert.equal(r.options.filter.exact, undefined);
    let called = 0;
    parse({ all_tenants: '' }, admin('2.1', { authorizeAllTenants: () => called++ }));
    assert.equal(called, 1);
    parse({}, admin('2.1', { authorizeAllTenants: () => called++ }));
    assert.equal(called, 1);
    const refuse = () => {
      throw new Forbidden('Policy doesn\'t allow os_compute_api:servers:index:get_all_tenants to be performed.');
    };
    // Nova checks the policy before sorting: the policy's 403 wins over a bad sort_dir.
    assert.match(failure(() => parse({ all_tenants: '1', sort_dir: 'up' }, user('2.1', { authorizeAllTenants: refuse })), Forbidden), /get_all_tenants/);
  });

  it('allowAllFilters overrides isAdmin for filter stripping', () => {
    const r = parse({ host: 'h1' }, user('2.1', { allowAllFilters: true }));
    assert.deepEqual(r.options.filter.exact, { host: ['h1'], project_id: ['p1'] });
  });
});

describe('server list query: unknown and forbidden parameters', () => {
  it('unknown parameters are dropped before 2.75', () => {
    for (const who of [user('2.74'), admin('2.74'), admin('2.1')]) {
      const r = parse({ foo: 'bar', name: 'x' }, who);
      assert.deepEqual(r.options.filter.regex, { display_name: 'x' });
    }
  });

  it('unknown parameters are rejected from 2.75, sorted, with jsonschema\'s wording', () => {
    assert.equal(failure(() => parse({ foo: 'bar' }, user('2.75'))), "Additional properties are not allowed ('foo' was unexpected)");
    assert.equal(failure(() => parse({ zed: '1', abc: '2', name: 'x' }, admin('2.90'))), "Additional properties are not allowed ('abc', 'zed' were unexpected)");
  });

  it('parameters of later microversions are unknown earlier', () => {
    assert.deepEqual(parse({ tags: 'a' }, admin('2.25')).options.filter.tags, undefined);
    assert.deepEqual(parse({ tags: 'a' }, admin('2.75')).options.filter.tags, ['a']);
    assert.deepEqual(parse({ locked: 'true' }, admin('2.75')).options.filter.exact?.locked, [true]);
  });

  it('format errors come before unknown parameters (schema order)', () => {
    assert.equal(
      failure(() => parse({ foo: '1', 'changes-since': 'yesterday' }, user('2.75'))),
      "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
    );
  });

  it('non-admins lose the filters outside their list silently', () => {
    const r = parse({ host: 'h', uuid: 'x', project_id: 'p9', node: 'n', deleted: 'true', soft_deleted: '1', description: 'd', image_ref: 'i' }, user('2.90'));
    assert.deepEqual(r.options.filter, { deleted: false, softDeleted: false, exact: { project_id: ['p1'] } });
  });

  it('the non-admin list grows with the microversion', () => {
    const want: Array<[string, string, Q]> = [
      ['2.4', '2.5', { ip6: '::1' }],
      ['2.25', '2.26', { tags: 'a', 'not-tags-any': 'b' }],
      ['2.72', '2.73', { locked: 'true' }],
      ['2.82', '2.83', { availability_zone: 'az', user_id: 'u9', vm_state: 'active', key_name: 'k' }],
      ['2.89', '2.90', { hostname: 'web' }],
    ];
    for (const [before, from, query] of want) {
      const early = parse(query, user(before));
      assert.deepEqual(early.options.filter.exact, { project_id: ['p1'] }, before);
      assert.equal(early.options.filter.regex, undefined, before);
      assert.equal(early.ip6, undefined);
      assert.equal(early.options.filter.tags, undefined);
      const late = parse(query, user(from));
      const changed = late.ip6 !== undefined || late.options.filter.tags !== undefined || late.options.filter.notTagsAny !== undefined
        || late.options.filter.regex !== undefined || Object.keys(late.options.filter.exact ?? {}).length > 1;
      assert.ok(changed, `${from}: ${JSON.stringify(late)}`);
    }
    // changes-before: schema-known from 2.66 for everyone.
    assert.equal(parse({ 'changes-before': '2020-01-01' }, user('2.65')).options.filter.changesBefore, undefined);
    assert.equal(parse({ 'changes-before': '2020-01-01' }, user('2.66')).options.filter.changesBefore, '2020-01-01T00:00:00.000Z');
    // an admin may use hostname at any version.
    assert.deepEqual(parse({ hostname: 'web' }, admin('2.1')).options.filter.regex, { hostname: 'web' });
  });

  it('joined-table names and _-prefixed names: 400 for admins, dropped for others', () => {
    for (const name of ['block_device_mapping', 'services', 'metadata', 'system_metadata', 'info_cache', 'security_groups', 'pci_devices', '_secret']) {
      assert.equal(failure(() => parse({ [name]: 'x' }, admin('2.1'))), `Invalid filter field: ${name}.`);
      assert.equal(failure(() => parse({ [name]: 'x' }, admin('2.75'))), `Invalid filter field: ${name}.`);
      assert.deepEqual(parse({ [name]: 'x' }, user('2.1')).options.filter.exact, { project_id: ['p1'] });
      // `^_` is a patternProperty of the schema, so not unknown at 2.75 either.
      assert.deepEqual(parse({ [name]: 'x' }, user('2.75')).options.filter.exact, { project_id: ['p1'] });
    }
  });
});

describe('server list query: filters', () => {
  it('maps API names to exact and regex columns', () => {
    const r = parse({
      all_tenants: '1', name: 'web', description: 'd', image: 'img', user_id: 'u2', vm_state: 'active', task_state: 'spawning',
      uuid: 'abc', host: 'h1', node: 'n1', reservation_id: 'r-1', key_name: 'k', availability_zone: 'az', kernel_id: 'kk',
      ramdisk_id: 'rr', root_device_name: '/dev/vda', config_drive: 'True', access_ip_v4: '10\\.0', access_ip_v6: '::1',
      locked_by: 'admin', launch_index: '0', power_state: '1', progress: '100', auto_disk_config: 'False', created_at: '2020',
      launched_at: '2021', terminated_at: '2022', hostname: 'web-1',
    }, admin('2.1'));
    assert.deepEqual(r.options.filter.exact, {
      image_ref: ['img'], user_id: ['u2'], vm_state: ['active'], task_state: ['spawning'], uuid: ['abc'], host: ['h1'],
    });
    assert.deepEqual(r.options.filter.regex, {
      display_name: 'web', display_description: 'd', node: 'n1', reservation_id: 'r-1', key_name: 'k', availability_zone: 'az',
      kernel_id: 'kk', ramdisk_id: 'rr', root_device_name: '/dev/vda', config_drive: 'True', access_ip_v4: '10\\.0',
      access_ip_v6: '::1', locked_by: 'admin', launch_index: '0', power_state: '1', progress: '100', auto_disk_config: 'False',
      created_at: '2020', launched_at: '2021', terminated_at: '2022', hostname: 'web-1',
    });
  });

  it('the alias names map to the same columns; the last given wins', () => {
    assert.deepEqual(parse({ display_name: 'a', display_description: 'b', image_ref: 'i' }, admin()).options.filter.regex, {
      display_name: 'a', display_description: 'b',
    });
    assert.deepEqual(parse({ image_ref: 'i' }, admin()).options.filter.exact, { image_ref: ['i'], project_id: ['p1'] });
    assert.deepEqual(parse({ name: ['first', 'second'] }, user()).options.filter.regex, { display_name: 'second' });
  });

  it('flavor, ip and ip6 are handed back to the caller', () => {
    const r = parse({ flavor: '42', ip: '10.0.0.', ip6: 'fe80' }, user('2.5'));
    assert.equal(r.flavorRef, '42');
    assert.equal(r.ip, '10.0.0.');
    assert.equal(r.ip6, 'fe80');
    assert.equal(parse({ ip6: 'fe80' }, user('2.4')).ip6, undefined);
    assert.equal(parse({ ip6: 'fe80' }, admin('2.1')).ip6, 'fe80');
  });

  it('regex parameters must be non-empty patterns Python compiles', () => {
    assert.equal(failure(() => parse({ name: '(' }, user())), "Invalid input for query parameters name. Value: (. '(' is not a 'regex'");
    assert.equal(failure(() => parse({ name: '' }, user())), "Invalid input for query parameters name. Value: . '' is not a 'regex'");
    // checked before non-admin stripping
    assert.equal(failure(() => parse({ kernel_id: '*x' }, user())), "Invalid input for query parameters kernel_id. Value: *x. '*x' is not a 'regex'");
    assert.ok(isPythonRegex('(?P<n>a)(?P=n)'));
    assert.ok(isPythonRegex('(?i)web'));
    assert.ok(isPythonRegex('^web-[0-9]+$'));
    assert.ok(!isPythonRegex('a)'));
    // plain string parameters are not checked
    assert.deepEqual(parse({ uuid: '(' }, admin()).options.filter.exact?.uuid, ['(']);
  });

  it('tags filters are comma-separated lists (2.26)', () => {
    const r = parse({ tags: 'a,b', 'tags-any': 'c', 'not-tags': 'd,e', 'not-tags-any': 'f' }, user('2.26'));
    assert.deepEqual(r.options.filter.tags, ['a', 'b']);
    assert.deepEqual(r.options.filter.tagsAny, ['c']);
    assert.deepEqual(r.options.filter.notTags, ['d', 'e']);
    assert.deepEqual(r.options.filter.notTagsAny, ['f']);
  });

  it('locked (2.73) is a strict boolean', () => {
    assert.deepEqual(parse({ locked: 'True' }, user('2.73')).options.filter.exact, { locked: [true], project_id: ['p1'] });
    assert.deepEqual(parse({ locked: 'off' }, user('2.90')).options.filter.exact, { locked: [false], project_id: ['p1'] });
    assert.match(failure(() => parse({ locked: 'maybe' }, user('2.73'))), /^Unrecognized value 'maybe', acceptable values are: '0', '1'/);
    assert.match(failure(() => parse({ locked: '' }, user('2.73'))), /^Unrecognized value '', acceptable/);
    assert.deepEqual(parse({ locked: 'maybe' }, admin('2.72')).options.filter.exact, { project_id: ['p1'] });
  });
});

describe('server list query: status', () => {
  it('a default status filters on vm_state only', () => {
    assert.deepEqual(parse({ status: 'ACTIVE' }, user()).options.filter.exact, { vm_state: ['active'], project_id: ['p1'] });
  });

  it('is case-insensitive, repeatable, and maps task states', () => {
    const r = parse({ status: ['reboot', 'Hard_Reboot'] }, user());
    assert.deepEqual(r.options.filter.exact, {
      vm_state: ['active'],
      task_state: ['reboot_pending', 'reboot_pending_hard', 'reboot_started', 'reboot_started_hard', 'rebooting', 'rebooting_hard'],
      project_id: ['p1'],
    });
    assert.deepEqual(parse({ status: ['ACTIVE', 'SHUTOFF'] }, user()).options.filter.exact?.vm_state, ['active', 'stopped']);
  });

  it('overrides a vm_state filter; keeps a task_state filter when the status is a default one', () => {
    const r = parse({ vm_state: 'error', task_state: 'spawning', status: 'BUILD' }, admin());
    assert.deepEqual(r.options.filter.exact, { vm_state: ['building'], task_state: ['spawning'], project_id: ['p1'] });
    const m = parse({ task_state: 'spawning', status: 'MIGRATING' }, admin());
    assert.deepEqual(m.options.filter.exact, { task_state: ['migrating'], vm_state: ['active', 'paused'], project_id: ['p1'] });
  });

  it('an unknown status: empty list before 2.38 (before any later check), 400 from 2.38', () => {
    const r = parse({ status: 'bogus', all_tenants: 'nonsense', sort_dir: 'up' }, user('2.37'));
    assert.equal(r.emptyResult, true);
    assert.equal(r.allTenants, false);
    assert.equal(failure(() => parse({ status: 'bogus' }, user('2.38'))), 'Invalid status value');
    assert.equal(failure(() => parse({ status: 'bogus' }, admin('2.90'))), 'Invalid status value');
    // one known status is enough
    assert.deepEqual(parse({ status: ['bogus', 'ERROR'] }, user('2.90')).options.filter.exact?.vm_state, ['error']);
  });

  it('status=deleted needs an admin and lists deleted rows', () => {
    assert.equal(failure(() => parse({ status: 'deleted' }, user()), Forbidden), 'Only administrators may list deleted instances');
    const r = parse({ status: 'DELETED' }, admin());
    assert.equal(r.options.filter.deleted, true);
    assert.equal(r.options.filter.softDeleted, true);
    assert.deepEqual(r.options.filter.exact?.vm_state, ['deleted']);
    // only when deleted is the sole vm_state
    assert.equal(parse({ status: ['deleted', 'active'] }, user()).options.filter.deleted, false);
  });
});

describe('server list query: deleted and changes-since/-before', () => {
  it('deleted (admin) is a lenient boolean', () => {
    assert.equal(parse({ deleted: 'True' }, admin()).options.filter.deleted, true);
    assert.equal(parse({ deleted: 'false' }, admin()).options.filter.deleted, false);
    assert.equal(parse({ deleted: 'junk' }, admin()).options.filter.deleted, false);
    assert.equal(parse({ deleted: 'true' }, user()).options.filter.deleted, false);
  });

  it('soft_deleted (admin) follows the raw value\'s truthiness as in Nova', () => {
    assert.equal(parse({ soft_deleted: 'true' }, admin()).options.filter.softDeleted, true);
    assert.equal(parse({ soft_deleted: '' }, admin()).options.filter.softDeleted, false);
    assert.equal(parse({ deleted: 'true', soft_deleted: '' }, admin()).options.filter.softDeleted, false);
    assert.equal(parse({ deleted: 'true', soft_deleted: 'x' }, admin()).options.filter.softDeleted, true);
    assert.equal(parse({ soft_deleted: 'true' }, user()).options.filter.softDeleted, false);
  });

  it('changes-since / changes-before include deleted servers unless deleted= says otherwise', () => {
    const r = parse({ 'changes-since': '2020-01-01T10:00:00+01:00' }, user());
    assert.equal(r.options.filter.deleted, 'any');
    assert.equal(r.options.filter.softDeleted, undefined);
    assert.equal(r.options.filter.changesSince, '2020-01-01T09:00:00.000Z');
    assert.equal(parse({ 'changes-before': '2020-01-01' }, user('2.66')).options.filter.deleted, 'any');
    assert.equal(parse({ 'changes-since': '2020-01-01', deleted: 'false' }, admin()).options.filter.deleted, false);
  });

  it('rejects malformed times with the schema message', () => {
    assert.equal(
      failure(() => parse({ 'changes-since': '2020-13-01' }, user())),
      "Invalid input for query parameters changes-since. Value: 2020-13-01. '2020-13-01' is not a 'date-time'",
    );
    assert.equal(
      failure(() => parse({ 'changes-before': 'now' }, user('2.66'))),
      "Invalid input for query parameters changes-before. Value: now. 'now' is not a 'date-time'",
    );
    // every value is checked, the last one used
    assert.match(failure(() => parse({ 'changes-since': ['bad', '2020-01-01'] }, user())), /Value: bad\./);
  });

  it('changes-since after changes-before is a 400; equal is fine', () => {
    assert.equal(
      failure(() => parse({ 'changes-since': '2020-01-02', 'changes-before': '2020-01-01T23:59:59.999999' }, user('2.66'))),
      'The value of changes-since must be less than or equal to changes-before.',
    );
    const r = parse({ 'changes-since': '2020-01-01T00:00:00Z', 'changes-before': '2020-01-01T01:00:00+01:00' }, user('2.66'));
    assert.equal(r.options.filter.changesBefore, '2020-01-01T00:00:00.000Z');
  });

  it('accepts what iso8601.parse_date accepts', () => {
    const ok: Array<[string, string]> = [
      ['2020', '2020-01-01T00:00:00.000Z'],
      ['2020-2', '2020-02-01T00:00:00.000Z'],
      ['2020-02-29', '2020-02-29T00:00:00.000Z'],
      ['20200229', '2020-02-29T00:00:00.000Z'],
      ['2020-01-01 10:20', '2020-01-01T10:20:00.000Z'],
      ['2020-01-01T102030', '2020-01-01T10:20:30.000Z'],
      ['2020-01-01T10:20:30.123456Z', '2020-01-01T10:20:30.123Z'],
      ['2020-01-01T10:20:30,5-0530', '2020-01-01T15:50:30.500Z'],
      ['2020-01-01T00:00:00+02', '2019-12-31T22:00:00.000Z'],
    ];
    for (const [text, iso] of ok) assert.equal(parseIsoTime(text)?.iso, iso, text);
    for (const text of ['202001', '2019-02-29', '2020-01-01T24:00:00', '2020-01-01T10:60', '0000-01-01', '2020-01-01T', 'x2020', '2020-01-01T00:00:00+24:00']) {
      assert.equal(parseIsoTime(text), undefined, text);
    }
  });
});

describe('server list query: sorting', () => {
  it('no sort parameters: the default order', () => {
    assert.equal(parse({}, user()).options.sort, undefined);
  });

  it('a sort key alone sorts desc, then uuid asc as Nova\'s instance lister does', () => {
    assert.deepEqual(parse({ sort_key: 'display_name' }, user()).options.sort, [
      { key: 'display_name', dir: 'desc' }, { key: 'uuid', dir: 'asc' },
    ]);
    assert.deepEqual(parse({ sort_key: ['uuid', 'created_at'], sort_dir: ['asc', 'desc'] }, user()).options.sort, [
      { key: 'uuid', dir: 'asc' }, { key: 'created_at', dir: 'desc' },
    ]);
  });

  it('a sort direction alone applies to created_at', () => {
    assert.deepEqual(parse({ sort_dir: 'asc' }, user()).options.sort, [{ key: 'created_at', dir: 'asc' }, { key: 'uuid', dir: 'asc' }]);
  });

  it('pairs directions with keys by position; missing ones take the first direction', () => {
    assert.deepEqual(parse({ sort_key: ['display_name', 'created_at'], sort_dir: 'asc' }, user()).options.sort, [
      { key: 'display_name', dir: 'asc' }, { key: 'created_at', dir: 'asc' }, { key: 'uuid', dir: 'asc' },
    ]);
    // Nova appends uuid/asc before the database pads the directions: the second key gets 'asc'.
    assert.deepEqual(parse({ sort_key: ['display_name', 'created_at'], sort_dir: ' desc ' }, user()).options.sort, [
      { key: 'display_name', dir: 'desc' }, { key: 'created_at', dir: 'asc' }, { key: 'uuid', dir: 'desc' },
    ]);
  });

  it('legacy keys are ignored with their direction before 2.75 and rejected from 2.75', () => {
    assert.deepEqual(parse({ sort_key: ['id', 'display_name'], sort_dir: ['asc', 'desc'] }, user('2.1')).options.sort, [
      { key: 'display_name', dir: 'desc' }, { key: 'uuid', dir: 'asc' },
    ]);
    assert.equal(parse({ sort_key: 'vcpus', sort_dir: 'asc' }, user('2.74')).options.sort, undefined);
    assert.equal(parse({ sort_key: 'locked' }, admin('2.72')).options.sort, undefined);
    assert.deepEqual(parse({ sort_key: 'locked' }, admin('2.73')).options.sort, [{ key: 'locked', dir: 'desc' }, { key: 'uuid', dir: 'asc' }]);
    assert.match(failure(() => parse({ sort_key: 'id' }, user('2.75'))), /^Invalid input for query parameters sort_key\. Value: id\. 'id' is not one of \['access_ip_v4', /);
  });

  it('unknown keys are 400 at every version', () => {
    const message = failure(() => parse({ sort_key: 'foo' }, user('2.1')));
    assert.ok(message.startsWith("Invalid input for query parameters sort_key. Value: foo. 'foo' is not one of ['access_ip_v4', 'access_ip_v6', "));
    assert.ok(message.endsWith("'user_data', 'vcpus', 'vm_mode']"), message);
    assert.match(failure(() => parse({ sort_key: ' display_name' }, user('2.90'))), /is not one of/);
  });

  it('host and node are admin-only sort keys', () => {
    assert.equal(failure(() => parse({ sort_key: 'host' }, user()), Forbidden), 'Only administrators can sort servers by host');
    assert.equal(failure(() => parse({ sort_key: ['display_name', 'node'] }, user('2.90')), Forbidden), 'Only administrators can sort servers by node');
    assert.deepEqual(parse({ sort_key: 'host', sort_dir: 'asc' }, admin()).options.sort, [{ key: 'host', dir: 'asc' }, { key: 'uuid', dir: 'asc' }]);
  });

  it('directions are asc or desc, no more of them than keys', () => {
    assert.equal(failure(() => parse({ sort_dir: 'ASC' }, user())), "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
    assert.equal(failure(() => parse({ sort_key: 'display_name', sort_dir: ['asc', 'desc'] }, user())), 'Invalid input received: Sort direction size exceeds sort key size');
    // an ignored key takes its direction with it, leaving the other one without a key
    assert.equal(failure(() => parse({ sort_key: 'id', sort_dir: ['asc', 'desc'] }, user())), 'Invalid input received: Sort direction size exceeds sort key size');
  });
});

describe('server list query: paging', () => {
  it('limit is capped at max_limit; marker passes through', () => {
    assert.equal(parse({ limit: '5' }, user()).options.limit, 5);
    assert.equal(parse({ limit: '5000' }, user()).options.limit, 1000);
    assert.equal(parse({ limit: '0' }, user()).options.limit, 0);
    assert.equal(parse({}, user(), 50).options.limit, 50);
    assert.equal(parse({ marker: 'abc' }, user()).options.marker, 'abc');
    assert.equal(parse({}, user()).options.marker, undefined);
  });

  it('limit must be a non-negative integer', () => {
    assert.match(failure(() => parse({ limit: '-1' }, user())), /^Invalid input for query parameters limit\. Value: -1\. /);
    assert.match(failure(() => parse({ limit: 'x' }, admin('2.90'))), /^Invalid input for query parameters limit\. Value: x\. /);
  });

  it('paging and sorting parameters are never filters', () => {
    const r = parse({ limit: '1', marker: 'm', sort_key: 'uuid', sort_dir: 'asc' }, admin());
    assert.deepEqual(r.options.filter, { deleted: false, softDeleted: false, exact: { project_id: ['p1'] } });
  });
});
