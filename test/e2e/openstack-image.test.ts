/**
 * The real python-openstackclient against the built-in image service (started in this process on
 * a test database, both backends): create with --file, list, show, set --property, save, delete.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageFixture, startImageFixture } from '../image/image-fixture';
import type { Cloud } from '../utils/cloud';
import { ENGINES } from '../utils/databases';
import { describeResult, OpenStackCli, openstackAvailable } from '../utils/openstack-cli';

const osc = openstackAvailable();

for (const engine of ENGINES) {
  describe(`openstack image commands against the built-in image service on ${engine}`, { skip: osc.ok ? false : `openstack CLI not available: ${osc.version}` }, () => {
    let f: ImageFixture;
    let cli: OpenStackCli;
    before(async () => {
      f = await startImageFixture(engine);
      // No compute API is needed: the harness's proxy (for compute) points at the image service too.
      const cloudStub = { url: f.url, output: '' } as unknown as Cloud;
      cli = await OpenStackCli.create(cloudStub, { imageEndpoint: f.url });
    });
    after(async () => {
      await cli?.close();
      await f?.stop();
    });

    it('create --file, list, show, set --property, save, delete', async () => {
      const data = randomBytes(1024 * 1024);
      const src = join(cli.dir, 'disk.raw');
      writeFileSync(src, data);
      const md5 = createHash('md5').update(data).digest('hex');

      const created = await cli.json(['image', 'create', '--file', src, '--disk-format', 'raw', '--container-format', 'bare', 'img1'], { cloud: 'nova-ts-member' });
      assert.equal(created.name, 'img1');

      const list = await cli.json(['image', 'list'], { cloud: 'nova-ts-member' });
      assert.ok(list.some((i: { Name: string; Status: string }) => i.Name === 'img1' && i.Status === 'active'), JSON.stringify(list));

      const shown = await cli.json(['image', 'show', 'img1'], { cloud: 'nova-ts-member' });
      assert.equal(shown.checksum, md5);
      assert.equal(shown.size, data.length);
      assert.equal(shown.status, 'active');
      assert.equal(shown.disk_format, 'raw');

      await cli.ok(['image', 'set', '--property', 'foo=bar', 'img1'], { cloud: 'nova-ts-member' });
      const after = await cli.json(['image', 'show', 'img1'], { cloud: 'nova-ts-member' });
      const props = typeof after.properties === 'string' ? after.properties : JSON.stringify(after.properties);
      assert.match(props, /foo/);
      assert.match(props, /bar/);

      const out = join(cli.dir, 'out.raw');
      await cli.ok(['image', 'save', '--file', out, 'img1'], { cloud: 'nova-ts-member' });
      assert.ok(readFileSync(out).equals(data), 'saved bytes differ');

      // Another project does not see the (shared-by-default) image.
      const other = await cli.run(['image', 'show', 'img1'], { cloud: 'nova-ts-other' });
      assert.notEqual(other.code, 0, describeResult(other));

      await cli.ok(['image', 'delete', 'img1'], { cloud: 'nova-ts-member' });
      const gone = await cli.run(['image', 'show', 'img1'], { cloud: 'nova-ts-member' });
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /img1/, describeResult(gone));
      console.log(`  image show after delete: ${gone.stderr.trim()}`);
    });
  });
}
