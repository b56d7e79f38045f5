import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageApiError } from '../../src/image/image-errors';
import { nextLink, pageImages, parseListQuery } from '../../src/image/image-list';
import { applyPatch } from '../../src/image/image-patch';
import { parseCreateBody } from '../../src/image/image-rules';
import { imageView } from '../../src/image/image.views';
import { ImageRecord } from '../../src/objects/image.object';

const base: ImageRecord = {
  id: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'n', status: 'queued', visibility: 'shared', owner: 'p1',
  protected: false, os_hidden: false, checksum: null, os_hash_algo: null, os_hash_value: null, size: null,
  virtual_size: null, disk_format: null, container_format: null, min_disk: 0, min_ram: 0, properties: { a: '1' },
  tags: [], created_at: new Date('2026-01-02T03:04:05.678Z'), updated_at: new Date('2026-01-02T03:04:05Z'),
};
const user = { projectId: 'p1', admin: false };
const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ImageApiError ? e.status : -1;
  }
  return 0;
};

describe('image JSON patch', () => {
  it('adds, replaces and removes base attributes and custom properties', () => {
    const c = applyPatch(base, [
      { op: 'replace', path: '/name', value: 'm' }, { op: 'add', path: '/b~1c', value: 'x' }, { op: 'remove', path: '/a' },
      { op: 'add', path: '/tags', value: ['t', 't'] },
    ], user);
    assert.deepEqual(c, { name: 'm', properties: { 'b/c': 'x' }, tags: ['t'] });
  });
  it('refuses what Glance refuses', () => {
    assert.equal(status(() => applyPatch(base, [{ op: 'replace', path: '/checksum', value: 'x' }], user)), 403);
    assert.equal(status(() => applyPatch(base, [{ op: 'add', path: '/deleted', value: 'x' }], user)), 403);
    assert.equal(status(() => applyPatch(base, [{ op: 'replace', path: '/nope', value: 'x' }], user)), 409);
    assert.equal(status(() => applyPatch(base, [{ op: 'move', path: '/a', from: '/b' }], user)), 400);
    assert.equal(status(() => applyPatch(base, [{ op: 'add', path: '/a', value: 3 }], user)), 400);
    assert.equal(status(() => applyPatch(base, { op: 'add' }, user)), 400);
    assert.equal(status(() => applyPatch(base, [{ op: 'replace', path: '/visibility', value: 'public' }], user)), 403);
    assert.equal(status(() => applyPatch({ ...base, status: 'active' }, [{ op: 'replace', path: '/disk_format', value: 'raw' }], user)), 403);
    assert.equal(status(() => applyPatch(base, [{ op: 'replace', path: '/min_ram', value: -1 }], user)), 400);
  });
});

describe('image create body, view and list paging', () => {
  it('splits base attributes from custom properties', () => {
    assert.deepEqual(parseCreateBody({ name: 'x', min_disk: 1, k: 'v' }, user), { id: undefined, changes: { name: 'x', min_disk: 1, properties: { k: 'v' } } });
    assert.equal(status(() => parseCreateBody({ size: 3 }, user)), 403);
    assert.equal(status(() => parseCreateBody({ id: 'nope' }, user)), 400);
  });
  it('renders Glance timestamps and flattens properties', () => {
    const v = imageView(base);
    assert.equal(v.created_at, '2026-01-02T03:04:05Z');
    assert.equal(v.a, '1');
  });
  it('sorts by created_at desc by default and links the next page', () => {
    const imgs = [1, 2, 3].map((i) => ({ ...base, id: `id${i}`, created_at: new Date(i * 1000) }));
    const q = parseListQuery({ limit: '2' });
    const { page, nextMarker } = pageImages(imgs, q);
    assert.deepEqual(page.map((i) => i.id), ['id3', 'id2']);
    assert.equal(nextMarker, 'id2');
    assert.equal(nextLink({ limit: '2', marker: 'x' }, 'id2'), '/v2/images?limit=2&marker=id2');
    assert.deepEqual(pageImages(imgs, parseListQuery({ limit: '2', marker: 'id2' })).page.map((i) => i.id), ['id1']);
    assert.equal(status(() => parseListQuery({ sort_dir: 'up' })), 400);
    assert.equal(status(() => parseListQuery({ limit: '-1' })), 400);
  });
});
