/**
 * The compute's image cache against the real built-in image service: one download per image,
 * verified against the checksums the image service recorded; a corrupted transfer is refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ImageChecksumMismatch, ImageDownloader } from '../../src/compute/image-download';
import { GlanceClient } from '../../src/image/glance-client';
import type { NovaConf } from '../../src/config/options';
import { Cloud, startCloud } from '../utils/cloud';

describe('compute image cache', () => {
  let cloud: Cloud;
  let imageId: string;
  let statePath: string;
  let downloader: ImageDownloader;
  const ctx = { user_id: 'admin', project_id: 'admin' };

  before(async () => {
    cloud = await startCloud('sqlite');
    imageId = await cloud.createImage('cache-me');
    statePath = mkdtempSync(join(tmpdir(), 'nova-image-cache-'));
    downloader = new ImageDownloader({ DEFAULT: { state_path: statePath } } as unknown as NovaConf);
  });
  after(async () => cloud?.stop());

  const meta = (id: string) => ({ id, name: null, disk_format: 'qcow2', container_format: 'bare', size: null, min_disk: 0, min_ram: 0, properties: {} });

  it('downloads once, with the bytes the image service holds, and reuses the file', async () => {
    const client = new GlanceClient(cloud.imageUrl, 'admin:admin');
    const calls = { n: 0 };
    const counting = Object.assign(Object.create(client) as GlanceClient, {
      download: async (id: string) => {
        calls.n++;
        return client.download(id);
      },
    });
    const [a, b] = await Promise.all([downloader.fetch(ctx, meta(imageId), counting), downloader.fetch(ctx, meta(imageId), counting)]);
    assert.equal(a, b);
    assert.equal(calls.n, 1, 'two concurrent builds share one download');
    const bytes = readFileSync(a);
    assert.equal(bytes.toString(), 'fake image data '.repeat(64));
    const doc = await client.getDocument(imageId);
    assert.equal(createHash('md5').update(bytes).digest('hex'), doc.checksum);
    await downloader.fetch(ctx, meta(imageId), counting);
    assert.equal(calls.n, 1, 'a cached image is not downloaded again');
  });

  it('refuses a transfer that does not match the recorded checksums, leaving nothing behind', async () => {
    const client = new GlanceClient(cloud.imageUrl, 'admin:admin');
    const other = await cloud.createImage('corrupted');
    const lying = Object.assign(Object.create(client) as GlanceClient, {
      download: async () => Readable.from([Buffer.from('fake image data '.repeat(63) + 'FAKE IMAGE DATA ')]),
    });
    await assert.rejects(downloader.fetch(ctx, meta(other), lying), ImageChecksumMismatch);
    assert.deepEqual(readdirSync(downloader.cacheDir).filter((f) => f.startsWith(other)), []);
  });

  it('refuses an id that cannot be a file name', async () => {
    await assert.rejects(downloader.fetch(ctx, meta('../../etc/passwd')), /cannot name a cache file/);
  });
});
