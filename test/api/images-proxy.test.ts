/** The images proxy's pure parts: query parsing, filters, paging, views, metadata rules. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Forbidden, Invalid } from '../../src/common/errors';
import type { RequestContext } from '../../src/api/http/request-context';
import { parseVersion } from '../../src/api/microversion/api-version';
import { checkImageMetadataQuota, checkPropertyNames, mergedProperties } from '../../src/api/images/image-metadata';
import { matchesFilters, nextLinkPageSize, pageOfImages, parseImageListQuery, sortImages } from '../../src/api/images/list-query';
import { checkImageMetadataVersion, checkImagesVersion } from '../../src/api/images/versions';
import { fromGlanceDocument, fromRecord, mayModify, ProxyImage, visibleTo } from '../../src/api/images/proxy-image';
import { imageDetail, imageIndexItem, imageProgress, imageStatus, withLinkPrefix } from '../../src/api/views/image.view';
import type { ImageRecord } from '../../src/objects/image.object';

const ID = 'c0ffee00-0000-4000-8000-000000000001';
const SERVER = '5a0c1d2e-0000-4000-8000-000000000009';
const GLANCE = 'http://ctl:9292';

function ctx(opts: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req-1', globalRequestId: null, userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, authToken: 't',
    version: parseVersion('2.1'), urlProjectId: null, baseUrl: 'http://ctl:8774', ...opts,
  };
}

function img(over: Partial<ProxyImage> = {}): ProxyImage {
  return {
    id: ID, name: 'cirros', status: 'active', visibility: 'public', owner: 'p1', protected: false, min_ram: 0, min_disk: 0, size: 1024,
    created_at: '2024-05-01T10:00:00.000Z', updated_at: '2024-05-01T10:00:09.500Z', properties: {}, ...over,
  };
}

const q = (pairs: Record<string, string | string[]>) => Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, ([] as string[]).concat(v)]));

describe('images proxy: views', () => {
  it('maps Glance statuses and progress as views/images.py does', () => {
    assert.deepEqual(['active', 'queued', 'saving', 'importing', 'deleted', 'pending_delete', 'killed', 'uploading', ''].map(imageStatus),
      ['ACTIVE', 'SAVING', 'SAVING', 'SAVING', 'DELETED', 'DELETED', 'ERROR', 'UNKNOWN', 'UNKNOWN']);
    assert.deepEqual(['active', 'queued', 'saving', 'killed', 'importing'].map(imageProgress), [100, 25, 50, 0, 0]);
  });

  it('index entries carry id, name and self, bookmark and alternate links', () => {
    assert.deepEqual(imageIndexItem(ctx(), img(), GLANCE), {
      id: ID, name: 'cirros', links: [
        { rel: 'self', href: `http://ctl:8774/v2.1/images/${ID}` },
        { rel: 'bookmark', href: `http://ctl:8774/images/${ID}` },
        { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${GLANCE}/images/${ID}` },
      ],
    });
    const legacy = imageIndexItem(ctx({ urlProjectId: 'p1' }), img(), `${GLANCE}/`);
    assert.equal(legacy.links[0].href, `http://ctl:8774/v2.1/p1/images/${ID}`);
    assert.equal(legacy.links[2].href, `${GLANCE}/images/${ID}`);
  });

  it('details: minRam, minDisk, metadata, isotime dates, size, server link for snapshots, diskConfig', () => {
    const d = imageDetail(ctx(), img({ status: 'saving', min_ram: 512, min_disk: 2, size: 0, properties: { instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'True' } }), GLANCE);
    assert.deepEqual(Object.keys(d), ['id', 'name', 'minRam', 'minDisk', 'metadata', 'created', 'updated', 'status', 'progress', 'OS-EXT-IMG-SIZE:size', 'links', 'server', 'OS-DCF:diskConfig']);
    assert.equal(d.created, '2024-05-01T10:00:00Z');
    assert.equal(d.updated, '2024-05-01T10:00:09Z');
    assert.equal(d.status, 'SAVING');
    assert.equal(d.progress, 50);
    assert.equal(d.minRam, 512);
    assert.equal(d['OS-EXT-IMG-SIZE:size'], 0);
    assert.deepEqual(d.server, { id: SERVER, links: [
      { rel: 'self', href: `http://ctl:8774/v2.1/servers/${SERVER}` }, { rel: 'bookmark', href: `http://ctl:8774/servers/${SERVER}` },
    ] });
    assert.equal(d['OS-DCF:diskConfig'], 'AUTO');
    assert.equal(imageDetail(ctx(), img({ properties: { auto_disk_config: 'no' } }), GLANCE)['OS-DCF:diskConfig'], 'MANUAL');
    const plain = imageDetail(ctx(), img(), GLANCE);
    assert.equal('server' in plain, false);
    assert.equal('OS-DCF:diskConfig' in plain, false);
  });

  it('applies [api] glance_link_prefix like _update_link_prefix', () => {
    assert.equal(withLinkPrefix('http://127.0.0.1:9292', 'https://images.example.com/glance'), 'https://images.example.com/glance');
    assert.equal(withLinkPrefix('http://127.0.0.1:9292/x', 'https://p.example'), 'https://p.example/x');
    assert.equal(withLinkPrefix('http://127.0.0.1:9292', null), 'http://127.0.0.1:9292');
    assert.equal(withLinkPrefix('http://127.0.0.1:9292', 'not a url'), 'http://127.0.0.1:9292');
  });
});

describe('images proxy: image documents', () => {
  it('reads a built-in record: null size → 0, JSON properties decoded', () => {
    const rec: ImageRecord = {
      id: ID, name: null, status: 'queued', visibility: 'private', owner: 'p2', protected: true, os_hidden: false, checksum: null,
      os_hash_algo: null, os_hash_value: null, size: null, virtual_size: null, disk_format: null, container_format: null,
      min_disk: 1, min_ram: 64, properties: { block_device_mapping: '[{"a":1}]', mappings: 'not json', x: 'y' }, tags: [],
      created_at: new Date('2024-01-01T00:00:00Z'), updated_at: new Date('2024-01-02T00:00:00Z'),
    };
    const p = fromRecord(rec);
    assert.equal(p.size, 0);
    assert.equal(p.created_at, '2024-01-01T00:00:00.000Z');
    assert.deepEqual({ ...p.properties }, { block_device_mapping: [{ a: 1 }], mappings: 'not json', x: 'y' });
  });

  it('reads a Glance document: base attributes out, the rest are properties', () => {
    const p = fromGlanceDocument({
      id: ID, name: 'n', status: 'active', visibility: 'community', owner: 'p2', protected: false, min_ram: 128, min_disk: 1, size: 99,
      created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:01Z', self: '/v2/images/x', file: '/f', schema: '/s', tags: ['a'],
      checksum: 'c', disk_format: 'qcow2', container_format: 'bare', os_hidden: false, instance_uuid: SERVER, hw_disk_bus: 'virtio',
    });
    assert.deepEqual({ ...p.properties }, { instance_uuid: SERVER, hw_disk_bus: 'virtio' });
    assert.equal(p.min_ram, 128);
    assert.equal(p.size, 99);
    assert.equal(fromGlanceDocument({ id: ID, size: null }).size, 0);
  });

  it('visibility and ownership follow Glance', () => {
    const viewer = { projectId: 'p1', admin: false };
    assert.equal(visibleTo(img({ visibility: 'private', owner: 'p2' }), viewer), false);
    assert.equal(visibleTo(img({ visibility: 'shared', owner: 'p2' }), viewer), false);
    assert.equal(visibleTo(img({ visibility: 'community', owner: 'p2' }), viewer), true);
    assert.equal(visibleTo(img({ visibility: 'private', owner: 'p1' }), viewer), true);
    assert.equal(visibleTo(img({ visibility: 'private', owner: 'p2' }), { projectId: 'x', admin: true }), true);
    assert.equal(mayModify(img({ owner: 'p2' }), viewer), false);
    assert.equal(mayModify(img({ owner: 'p1' }), viewer), true);
  });
});

describe('images proxy: list query', () => {
  it('maps Nova filters to Glance ones', () => {
    const parsed = parseImageListQuery(q({
      name: 'a', status: 'ACTIVE', server: `http://ctl:8774/v2.1/servers/${SERVER}`, type: 'snapshot', minRam: '512', minDisk: '1',
      'property-hw_disk_bus': 'virtio', 'changes-since': '2024-05-01T10:00:00Z', bogus: 'ignored', marker: ID, limit: '5',
    }));
    assert.equal(parsed.filters.name, 'a');
    assert.equal(parsed.filters.status, 'active');
    assert.deepEqual({ ...parsed.filters.properties }, { hw_disk_bus: 'virtio', instance_uuid: SERVER, image_type: 'snapshot' });
    assert.equal(parsed.filters.minRam, 512);
    assert.equal(parsed.filters.minDisk, 1);
    assert.equal(parsed.filters.changesSince, Date.parse('2024-05-01T10:00:00Z'));
    assert.equal(parsed.limit, 5);
    assert.equal(parsed.marker, ID);
    assert.deepEqual({ ...parseImageListQuery(q({ server: SERVER })).filters.properties }, { instance_uuid: SERVER });
  });

  it('rejects bad limits, page sizes, offsets, numbers and times with Nova-style 400s', () => {
    const bad = (pairs: Record<string, string>, re: RegExp) => assert.throws(() => parseImageListQuery(q(pairs)), (e: unknown) => e instanceof Invalid && re.test(e.message));
    bad({ limit: '0' }, /^Invalid input for query parameters limit\. Value: 0\. 0 is less than the minimum of 1$/);
    bad({ limit: '-1' }, /^Invalid input for query parameters limit\. Value: -1\./);
    bad({ limit: 'abc' }, /^Invalid input for query parameters limit\./);
    bad({ page_size: 'x' }, /query parameters page_size/);
    bad({ offset: '0' }, /query parameters offset/);
    bad({ minRam: 'big' }, /^Invalid minRam filter \[big\]$/);
    bad({ minDisk: '-1' }, /^Invalid minDisk filter \[-1\]$/);
    bad({ 'changes-since': 'yesterday' }, /^Invalid changes-since value: yesterday$/);
  });

  it('filters exactly, as Glance v2 does (min_ram/min_disk included)', () => {
    const f = parseImageListQuery(q({ minRam: '512' })).filters;
    assert.equal(matchesFilters(img({ min_ram: 512 }), f), true);
    assert.equal(matchesFilters(img({ min_ram: 1024 }), f), false);
    const since = parseImageListQuery(q({ 'changes-since': '2024-05-01T10:00:09Z' })).filters;
    assert.equal(matchesFilters(img(), since), true);
    assert.equal(matchesFilters(img({ updated_at: '2024-05-01T10:00:08.999Z' }), since), false);
    const prop = parseImageListQuery(q({ type: 'snapshot' })).filters;
    assert.equal(matchesFilters(img({ properties: { image_type: 'snapshot' } }), prop), true);
    assert.equal(matchesFilters(img({ properties: { image_type: 'backup' } }), prop), false);
    assert.equal(matchesFilters(img(), prop), false);
    assert.equal(matchesFilters(img({ status: 'queued' }), parseImageListQuery(q({ status: 'QUEUED' })).filters), true);
  });

  it('orders newest first (created_at, then id), pages after the marker, 400 for an unknown marker', () => {
    const a = img({ id: 'a', created_at: '2024-01-01T00:00:00.000Z' });
    const b = img({ id: 'b', created_at: '2024-01-02T00:00:00.000Z' });
    const c = img({ id: 'c', created_at: '2024-01-02T00:00:00.000Z' });
    assert.deepEqual(sortImages([a, b, c]).map((i) => i.id), ['c', 'b', 'a']);
    assert.deepEqual(pageOfImages([a, b, c], parseImageListQuery(q({ limit: '2' }))).map((i) => i.id), ['c', 'b']);
    assert.deepEqual(pageOfImages([a, b, c], parseImageListQuery(q({ limit: '2', marker: 'b' }))).map((i) => i.id), ['a']);
    assert.deepEqual(pageOfImages([a, b, c], parseImageListQuery(q({}))).map((i) => i.id), ['c', 'b', 'a']);
    assert.throws(() => pageOfImages([a], parseImageListQuery(q({ marker: 'zzz' }))), /^Error: Marker zzz could not be found\.$|Marker zzz could not be found\./);
  });

  it('adds a next link only for a page of exactly min(limit or max_limit, max_limit) images', () => {
    assert.equal(nextLinkPageSize(parseImageListQuery(q({ limit: '2' })), 1000, 2), 2);
    assert.equal(nextLinkPageSize(parseImageListQuery(q({ limit: '2' })), 1000, 1), undefined);
    assert.equal(nextLinkPageSize(parseImageListQuery(q({})), 3, 3), 3);
    assert.equal(nextLinkPageSize(parseImageListQuery(q({})), 3, 4), undefined);
    assert.equal(nextLinkPageSize(parseImageListQuery(q({ limit: '10' })), 3, 3), 3);
  });
});

describe('images proxy: metadata rules', () => {
  it('checks the metadata_items limit on the resulting properties', () => {
    checkImageMetadataQuota(0, 0);
    checkImageMetadataQuota(128, 128);
    checkImageMetadataQuota(500, -1);
    assert.throws(() => checkImageMetadataQuota(129, 128), (e: unknown) => e instanceof Forbidden && e.message === 'Image metadata limit exceeded');
  });

  it('refuses Glance base, read-only and reserved attribute names', () => {
    checkPropertyNames(ID, ['hw_disk_bus', 'os_distro', 'image_type']);
    for (const k of ['name', 'status', 'id', 'min_ram', 'location', 'os_glance_import_task']) {
      assert.throws(() => checkPropertyNames(ID, [k]), (e: unknown) => e instanceof Forbidden && e.message === `Not authorized for image ${ID}.`, k);
    }
  });

  it('merges without touching prototype-named keys', () => {
    const m = mergedProperties({ a: '1', __proto__x: '2' }, { a: '3', constructor: 'c' });
    assert.deepEqual({ ...m }, { a: '3', __proto__x: '2', constructor: 'c' });
  });
});

describe('images proxy: microversions', () => {
  it('serves /images up to 2.35 and the metadata up to 2.38, then 404 like Nova', () => {
    const notFound = (e: unknown) => e instanceof Error && e.constructor.name === 'NotFound' && e.message === 'The resource could not be found.';
    for (const v of ['2.1', '2.20', '2.35']) checkImagesVersion(parseVersion(v));
    for (const v of ['2.36', '2.38', '2.93']) assert.throws(() => checkImagesVersion(parseVersion(v)), notFound, v);
    for (const v of ['2.1', '2.36', '2.38']) checkImageMetadataVersion(parseVersion(v));
    for (const v of ['2.39', '2.100']) assert.throws(() => checkImageMetadataVersion(parseVersion(v)), notFound, v);
  });
});
