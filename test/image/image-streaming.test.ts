/**
 * A 100 MB upload and download stream through: the process's RSS does not grow by anything like
 * the image size. A 30 MB warm-up upload first lets the allocator reach its steady state, so what
 * is measured is buffering, not start-up churn (without it a first upload of any size shows ~35 MB).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { ImageFixture, Json, startImageFixture } from './image-fixture';

const MB = 1024 * 1024;

describe('built-in image service streaming (sqlite)', () => {
  let f: ImageFixture;
  before(async () => {
    f = await startImageFixture('sqlite');
  });
  after(async () => {
    await f?.stop();
  });

  /** Creates a raw image and PUTs `mb` MiB in 1 MiB writes (with backpressure); returns the status and md5. */
  async function upload(mb: number): Promise<{ id: string; status: number; md5: string }> {
    const created = await (await f.req('POST', '/v2/images', { json: { name: `big${mb}`, disk_format: 'raw', container_format: 'bare' } })).json() as Json;
    const chunk = Buffer.alloc(MB, mb % 251);
    const md5 = createHash('md5');
    const { port } = new URL(f.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, method: 'PUT', path: `/v2/images/${created.id}/file`,
        headers: { 'X-Auth-Token': 'admin:admin', 'Content-Type': 'application/octet-stream', 'Content-Length': String(mb * MB) },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < mb) {
          sent++;
          md5.update(chunk);
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    return { id: created.id, status, md5: md5.digest('hex') };
  }

  it('uploads and downloads 100 MB with RSS growth below 40 MB', async () => {
    assert.equal((await upload(30)).status, 204);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const up = await upload(100);
      assert.equal(up.status, 204);
      const uploadGrowth = (peak - rss0) / MB;
      assert.ok(uploadGrowth < 40, `RSS grew by ${uploadGrowth.toFixed(1)} MB during the upload`);
      const shown = await (await f.req('GET', `/v2/images/${up.id}`)).json() as Json;
      assert.equal(shown.size, 100 * MB);
      assert.equal(shown.checksum, up.md5);
      // Download, counting bytes without keeping them.
      const r = await f.req('GET', `/v2/images/${up.id}/file`);
      let got = 0;
      for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) got += c.length;
      assert.equal(got, 100 * MB);
    } finally {
      clearInterval(sample);
    }
    const growth = (peak - rss0) / MB;
    assert.ok(growth < 40, `RSS grew by ${growth.toFixed(1)} MB (upload and download)`);
  });
});
