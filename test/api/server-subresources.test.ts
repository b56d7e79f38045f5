// The server sub-resources' pure pieces: metadata and tag bodies with Nova's messages, the tag
// rules, the instance-actions query per microversion, and os-simple-tenant-usage's query, hours
// and summaries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Conflict, Forbidden } from '../../src/common/errors';
import { parseVersion } from '../../src/api/microversion/api-version';
import {
  checkMetadataQuota, checkMetaMatchesUri, checkNoQuery, checkTagCount, checkTagInUri, checkTagPutBody, checkTagState, mergedMetadata,
  pageSizeOf, parseInstanceActionsQuery, parseMetadataBody, parseMetaItemBody, parseTagsBody, tagLocation,
} from '../../src/api/servers/subresource-requests';
import {
  formatInstant, hoursFor, instantFromIso, instantFromMs, parseUsageQuery, parseUsageTime, tenantUsages, UsageInstance, validateUsageQuery,
} from '../../src/api/servers/tenant-usage';
import { bad, failure } from '../utils/api-assertions';

const V = (s: string) => parseVersion(s);
const UUID = '5a0c1d2e-0000-4000-8000-000000000001';

describe('server metadata bodies', () => {
  it('accepts {"metadata": {...}} for POST and PUT, and {"meta": {k: v}} for one item', () => {
    assert.deepEqual(parseMetadataBody({ metadata: { a: '1', 'b:c. d-e_f': '' } }), { a: '1', 'b:c. d-e_f': '' });
    assert.deepEqual(parseMetadataBody({ metadata: {} }), {});
    assert.deepEqual(parseMetaItemBody({ meta: { k: 'v' } }), { k: 'v' });
  });

  it("refuses what Nova's schemas refuse, with jsonschema's messages", () => {
    assert.equal(bad(() => parseMetadataBody({})), "'metadata' is a required property");
    assert.equal(bad(() => parseMetadataBody(null)), "None is not of type 'object'");
    assert.equal(bad(() => parseMetadataBody({ metadata: [] })), "Invalid input for field/attribute metadata. Value: []. [] is not of type 'object'");
    assert.equal(bad(() => parseMetadataBody({ metadata: { a: 1 } })), "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'");
    assert.equal(bad(() => parseMetadataBody({ metadata: { a: 'x'.repeat(256) } })), `Invalid input for field/attribute a. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`);
    assert.match(bad(() => parseMetadataBody({ metadata: { 'a/b': 'x' } })), /^Invalid input for field\/attribute metadata\. Value: .*'a\/b' does not match any of the regexes: '\^\[a-zA-Z0-9-_:\. \]\{1,255\}\$'$/);
    assert.equal(bad(() => parseMetadataBody({ metadata: {}, foo: 1 })), "Additional properties are not allowed ('foo' was unexpected)");
    assert.equal(bad(() => parseMetaItemBody({ meta: {} })), "Invalid input for field/attribute meta. Value: {}. {} does not have enough properties");
    assert.equal(bad(() => parseMetaItemBody({ meta: { a: '1', b: '2' } })), "Invalid input for field/attribute meta. Value: {'a': '1', 'b': '2'}. {'a': '1', 'b': '2'} has too many properties");
    assert.equal(bad(() => parseMetaItemBody({ metadata: { a: '1' } })), "'meta' is a required property");
  });

  it('wants the one item to be the key of the URI', () => {
    checkMetaMatchesUri({ k: 'v' }, 'k');
    assert.equal(bad(() => checkMetaMatchesUri({ k: 'v' }, 'other')), 'Request body and URI mismatch');
    assert.equal(bad(() => checkMetaMatchesUri({ k: 'v' }, 'constructor')), 'Request body and URI mismatch');
  });

  it('merges or replaces, keeping keys like constructor and __proto__ as plain items', () => {
    assert.deepEqual({ ...mergedMetadata({ a: '1', b: '2' }, { b: '3', c: '4' }, false) }, { a: '1', b: '3', c: '4' });
    assert.deepEqual({ ...mergedMetadata({ a: '1' }, { c: '4' }, true) }, { c: '4' });
    const odd = mergedMetadata({}, JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, string>, false);
    assert.deepEqual(Object.keys(odd), ['__proto__', 'constructor']);
    assert.equal(odd.constructor, 'y');
  });

  it('counts the result against metadata_items: 403 with MetadataLimitExceeded, -1 unlimited', () => {
    checkMetadataQuota(128, 128);
    checkMetadataQuota(500, -1);
    checkMetadataQuota(0, 0);
    const err = failure(() => checkMetadataQuota(3, 2));
    assert.ok(err instanceof Forbidden);
    assert.equal(err.message, 'Maximum number of metadata items exceeds 2');
  });

  it('takes any query parameter before 2.102 and none from it', () => {
    checkNoQuery({ foo: ['1'] }, V('2.101'));
    checkNoQuery({}, V('2.102'));
    assert.equal(bad(() => checkNoQuery({ foo: ['1'] }, V('2.102'))), "Additional properties are not allowed ('foo' was unexpected)");
  });
});

describe('server tags', () => {
  it('PUT /tags takes {"tags": [...]} of at most 50 valid tags; duplicates collapse', () => {
    assert.deepEqual(parseTagsBody({ tags: ['a', 'b', 'a'] }), ['a', 'b']);
    assert.deepEqual(parseTagsBody({ tags: [] }), []);
    assert.deepEqual(parseTagsBody({ tags: Array.from({ length: 50 }, (_, i) => `t${i}`) }).length, 50);
    assert.match(bad(() => parseTagsBody({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })), /^Invalid input for field\/attribute tags\. Value: \[.*\] is too long$/);
    assert.equal(bad(() => parseTagsBody({ tags: ['a,b'] })), "Invalid input for field/attribute 0. Value: a,b. 'a,b' does not match '^[^,/]*$'");
    assert.equal(bad(() => parseTagsBody({ tags: ['ok', ''] })), "Invalid input for field/attribute 1. Value: . '' is too short");
    assert.equal(bad(() => parseTagsBody({ tags: ['x'.repeat(61)] })), `Invalid input for field/attribute 0. Value: ${'x'.repeat(61)}. '${'x'.repeat(61)}' is too long`);
    assert.equal(bad(() => parseTagsBody({ tags: [1] })), "Invalid input for field/attribute 0. Value: 1. 1 is not of type 'string'");
    assert.equal(bad(() => parseTagsBody({ tags: 'a' })), "Invalid input for field/attribute tags. Value: a. 'a' is not of type 'array'");
    assert.equal(bad(() => parseTagsBody({})), "'tags' is a required property");
    assert.equal(bad(() => parseTagsBody({ tags: [], x: 1 })), "Additional properties are not allowed ('x' was unexpected)");
  });

  it("PUT /tags/{tag}: the body must be null, the tag valid, fewer than 50 there", () => {
    checkTagPutBody(undefined);
    checkTagPutBody(null);
    assert.equal(bad(() => checkTagPutBody({})), "{} is not of type 'null'");
    checkTagInUri('web server');
    assert.equal(bad(() => checkTagInUri('a,b')),
      "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: 'a,b' does not match '^[^,/]*$'");
    assert.equal(bad(() => checkTagInUri('y'.repeat(61))),
      `Tag '${'y'.repeat(61)}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: '${'y'.repeat(61)}' is too long`);
    checkTagCount(49);
    assert.equal(bad(() => checkTagCount(50)), 'The number of tags exceeded the per-server limit 50');
  });

  it('changes need vm_state active, paused, suspended or stopped (409 naming the action)', () => {
    for (const vm of ['active', 'paused', 'suspended', 'stopped']) checkTagState({ uuid: UUID, vm_state: vm }, 'update tag');
    const err = failure(() => checkTagState({ uuid: UUID, vm_state: 'building' }, 'delete tags'));
    assert.ok(err instanceof Conflict);
    assert.equal(err.message, `Cannot 'delete tags' instance ${UUID} while it is in vm_state building`);
  });

  it("Location is the server's self link + /tags/<tag>", () => {
    assert.equal(tagLocation(`http://h/v2.1/servers/${UUID}`, 'web'), `http://h/v2.1/servers/${UUID}/tags/web`);
    assert.equal(tagLocation('http://h/v2.1/servers/x', 'caf\u00e9'), 'http://h/v2.1/servers/x/tags/caf%C3%A9');
  });
});

describe('instance actions list query', () => {
  it('ignores every parameter before 2.58', () => {
    assert.deepEqual(parseInstanceActionsQuery({ limit: ['x'], foo: ['1'] }, V('2.57'), 1000), {});
  });

  it('2.58: limit (capped), marker, changes-since; nothing else', () => {
    assert.deepEqual(parseInstanceActionsQuery({}, V('2.58'), 1000), { limit: 1000 });
    assert.deepEqual(parseInstanceActionsQuery({ limit: ['5000'], marker: ['req-1'] }, V('2.58'), 1000), { limit: 1000, marker: 'req-1' });
    assert.deepEqual(parseInstanceActionsQuery({ 'changes-since': ['2024-05-01T10:00:00Z'] }, V('2.58'), 10), { limit: 10, changesSince: '2024-05-01T10:00:00.000Z' });
    assert.equal(bad(() => parseInstanceActionsQuery({ 'changes-before': ['2024-05-01'] }, V('2.58'), 10)), "Additional properties are not allowed ('changes-before' was unexpected)");
    assert.equal(bad(() => parseInstanceActionsQuery({ limit: ['-1'] }, V('2.58'), 10)), "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
    assert.equal(bad(() => parseInstanceActionsQuery({ limit: ['1', '2'] }, V('2.58'), 10)), "Invalid input for query parameters limit. Value: ['1', '2']. ['1', '2'] is too long");
    assert.equal(bad(() => parseInstanceActionsQuery({ 'changes-since': ['yesterday'] }, V('2.58'), 10)),
      "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'");
  });

  it('2.66 adds changes-before, which may not precede changes-since', () => {
    assert.deepEqual(parseInstanceActionsQuery({ 'changes-before': ['2024-05-02T00:00:00'] }, V('2.66'), 10), { limit: 10, changesBefore: '2024-05-02T00:00:00.000Z' });
    assert.equal(bad(() => parseInstanceActionsQuery({ 'changes-since': ['2024-05-02T00:00:00'], 'changes-before': ['2024-05-01T00:00:00'] }, V('2.66'), 10)),
      'The value of changes-since must be less than or equal to changes-before.');
  });

  it('judges a full page by min(limit, max_limit)', () => {
    assert.equal(pageSizeOf({}, 1000), 1000);
    assert.equal(pageSizeOf({ limit: ['3'] }, 1000), 3);
    assert.equal(pageSizeOf({ limit: ['3000'] }, 1000), 1000);
  });
});

describe('os-simple-tenant-usage', () => {
  const now = instantFromIso('2024-06-01T12:00:00.000Z');

  it("parses start/end in Nova's three strptime formats, naive = UTC, blank = now", () => {
    assert.equal(formatInstant(parseUsageTime('2024-05-01T10:00:00', now)), '2024-05-01T10:00:00.000000');
    assert.equal(formatInstant(parseUsageTime('2024-05-01T10:00:00.123456', now)), '2024-05-01T10:00:00.123456');
    assert.equal(formatInstant(parseUsageTime('2024-05-01 10:00:00.5', now)), '2024-05-01T10:00:00.500000');
    assert.equal(formatInstant(parseUsageTime('2024-5-1T1:2:3', now)), '2024-05-01T01:02:03.000000');
    assert.equal(parseUsageTime(undefined, now), now);
    assert.equal(parseUsageTime('', now), now);
    for (const text of ['2024-05-01', '2024-05-01T10:00:00Z', '2024-05-01 10:00:00', '2024-02-30T00:00:00', '2024-13-01T00:00:00', 'now']) {
      assert.equal(bad(() => parseUsageTime(text, now)), 'Invalid datetime string: Datetime is in invalid format', text);
    }
  });

  it('wants start before end, caps end at now, reads detailed=1 and from 2.40 limit/marker', () => {
    const q = parseUsageQuery({ start: ['2024-05-01T00:00:00'], end: ['2030-01-01T00:00:00'], detailed: ['1'] }, V('2.1'), 1000, now);
    assert.equal(formatInstant(q.stop), '2024-06-01T12:00:00.000001');
    assert.equal(q.detailed, true);
    assert.equal(q.limit, 1000);
    assert.equal(q.links, false);
    assert.equal(parseUsageQuery({ start: ['2024-05-01T00:00:00'], detailed: ['true'] }, V('2.1'), 1000, now).detailed, false);
    assert.equal(parseUsageQuery({ start: ['2024-05-01T00:00:00'], limit: ['5'] }, V('2.39'), 1000, now).limit, 1000);
    const paged = parseUsageQuery({ start: ['2024-05-01T00:00:00'], limit: ['5'], marker: [UUID] }, V('2.40'), 1000, now);
    assert.deepEqual([paged.limit, paged.marker, paged.links], [5, UUID, true]);
    const blank = parseUsageQuery({}, V('2.1'), 1000, now);
    assert.deepEqual([formatInstant(blank.start), formatInstant(blank.stop)], ['2024-06-01T12:00:00.000000', '2024-06-01T12:00:00.000001']);
    assert.equal(bad(() => parseUsageQuery({ start: ['2024-05-02T00:00:00'], end: ['2024-05-01T00:00:00'] }, V('2.1'), 1000, now)),
      'Invalid start time. The start time cannot occur after the end time.');
    assert.equal(bad(() => parseUsageQuery({ start: ['2024-05-01T00:00:00'], end: ['2024-05-01T00:00:00'] }, V('2.1'), 1000, now)),
      'Invalid start time. The start time cannot occur after the end time.');
  });

  it('validates the query schema of the version: 2.40 paging, 2.75 no unknown parameters', () => {
    validateUsageQuery({ limit: ['x'], foo: ['1'] }, V('2.39'), true);
    assert.equal(bad(() => validateUsageQuery({ limit: ['x'] }, V('2.40'), true)), "Invalid input for query parameters limit. Value: x. 'x' does not match '^[0-9]*$'");
    validateUsageQuery({ foo: ['1'] }, V('2.74'), true);
    assert.equal(bad(() => validateUsageQuery({ foo: ['1'] }, V('2.75'), true)), "Additional properties are not allowed ('foo' was unexpected)");
    validateUsageQuery({ detailed: ['1'] }, V('2.75'), true);
    assert.equal(bad(() => validateUsageQuery({ detailed: ['1'] }, V('2.75'), false)), "Additional properties are not allowed ('detailed' was unexpected)");
  });

  it('bills the part of the period an instance ran', () => {
    const start = instantFromIso('2024-05-01T00:00:00Z');
    const stop = instantFromIso('2024-05-02T00:00:00Z');
    assert.equal(hoursFor({ launched_at: '2024-04-01T00:00:00Z', terminated_at: null }, start, stop), 24);
    assert.equal(hoursFor({ launched_at: '2024-05-01T12:00:00Z', terminated_at: null }, start, stop), 12);
    assert.equal(hoursFor({ launched_at: '2024-05-01T12:00:00Z', terminated_at: '2024-05-01T13:30:00Z' }, start, stop), 1.5);
    assert.equal(hoursFor({ launched_at: '2024-04-01T00:00:00Z', terminated_at: '2024-04-30T00:00:00Z' }, start, stop), 0);
    assert.equal(hoursFor({ launched_at: '2024-05-03T00:00:00Z', terminated_at: null }, start, stop), 0);
    assert.equal(hoursFor({ launched_at: null, terminated_at: null }, start, stop), 0);
  });

  it('summarises per tenant in instance order; server usages only when detailed', () => {
    const start = instantFromIso('2024-05-01T00:00:00Z');
    const stop = instantFromIso('2024-05-02T00:00:00Z');
    const nowI = instantFromMs(Date.parse('2024-05-03T00:00:00Z'));
    const row = (over: Partial<UsageInstance>): UsageInstance => ({
      uuid: UUID, display_name: 'vm', project_id: 'p1', vm_state: 'active', launched_at: '2024-04-30T00:00:00.000Z', terminated_at: null,
      flavor: 'm1.tiny', memory_mb: 512, vcpus: 2, root_gb: 1, ephemeral_gb: 2, ...over,
    });
    const rows = [
      row({}),
      row({ uuid: 'b', project_id: 'p1', launched_at: '2024-05-01T12:00:00.000Z', terminated_at: '2024-05-01T18:00:00.000Z', vm_state: 'deleted' }),
      row({ uuid: 'c', project_id: 'p2', vm_state: 'stopped' }),
    ];
    const { usages, serverUsages } = tenantUsages(rows, start, stop, true, nowI);
    assert.equal(serverUsages.length, 3);
    assert.deepEqual(usages.map((u) => u.tenant_id), ['p1', 'p2']);
    const p1 = usages[0];
    assert.deepEqual(Object.keys(p1), ['tenant_id', 'server_usages', 'total_local_gb_usage', 'total_vcpus_usage', 'total_memory_mb_usage', 'total_hours', 'start', 'stop']);
    assert.equal(p1.total_hours, 30);
    assert.equal(p1.total_vcpus_usage, 60);
    assert.equal(p1.total_memory_mb_usage, 512 * 30);
    assert.equal(p1.total_local_gb_usage, 3 * 30);
    assert.equal(p1.start, '2024-05-01T00:00:00.000000');
    assert.equal(p1.stop, '2024-05-02T00:00:00.000000');
    assert.deepEqual(p1.server_usages?.[0], {
      hours: 24, flavor: 'm1.tiny', instance_id: UUID, name: 'vm', tenant_id: 'p1', memory_mb: 512, local_gb: 3, vcpus: 2,
      started_at: '2024-04-30T00:00:00.000000', ended_at: null, state: 'active', uptime: 3 * 86400,
    });
    const ended = p1.server_usages?.[1];
    assert.deepEqual([ended?.state, ended?.ended_at, ended?.uptime, ended?.hours], ['terminated', '2024-05-01T18:00:00.000000', 6 * 3600, 6]);
    const plain = tenantUsages(rows, start, stop, false, nowI).usages;
    assert.equal('server_usages' in plain[0], false);
    assert.deepEqual(tenantUsages([], start, stop, true, nowI).usages, []);
  });
});
