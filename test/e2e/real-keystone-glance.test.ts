/**
 * nova-ts against a REAL Keystone and Glance (Debian's packages, started on loopback by
 * scripts/openstack-services-setup.sh): `[api] auth_strategy = keystone` validating tokens with
 * nova's service user, `[glance] api_servers` at the real Glance, no built-in identity or image
 * service. Over HTTP: a Keystone token is accepted, a revoked one refused in Nova's format,
 * another project sees nothing of the first one's servers or private images, images with real
 * bytes come from Glance and boot servers. Then Debian's stock `openstack` CLI, driven by an
 * admin-openrc pointing at the real Keystone only (every other service comes from its catalog,
 * where the test registers this cloud's compute endpoint).
 *
 * Skips when the services are not set up; fails instead with NOVA_TS_REQUIRE_OPENSTACK_SERVICES=1.
 * The fake compute driver: it needs no image file, so boots do not download from Glance here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Cloud } from '../utils/cloud';
import { HypervisorLab, loadHypervisorLab } from '../utils/hypervisor-lab';
import { libvirtConf, removeDomainsUnder } from '../utils/libvirt-cloud';
import { openstackAvailable } from '../utils/openstack-cli';
import {
  keystoneCall, keystoneToken, loadOpenStackServices, OpenStackServices, openstackWithOpenrc, OpenrcResult,
  registerComputeEndpoint, removeEndpoint, startCloudAgainst,
} from '../utils/real-openstack';

const services = loadOpenStackServices();
const osc = openstackAvailable();
const AUTH_REQUIRED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const suffix = randomBytes(3).toString('hex');
const CACHE_SECONDS = 2;

function skipReason(): string | false {
  if (typeof services === 'string') return services;
  if (!osc.ok) {
    const why = `openstack CLI not available: ${osc.version}`;
    if (process.env.NOVA_TS_REQUIRE_OPENSTACK_SERVICES === '1') throw new Error(why);
    return why;
  }
  return false;
}

// The same checks on both backends (SQLite + in-process bus, MariaDB + RabbitMQ), one after the other.
for (const engine of ['sqlite', 'mysql'] as const) describe(`nova-ts with a real Keystone and Glance (Debian packages) on ${engine}`, { skip: skipReason() }, () => {
  const svc = services as OpenStackServices;
  const suffix = `${engine}-${randomBytes(3).toString('hex')}`;
  let cloud: Cloud;
  let dir: string;
  let adminToken: string;
  let endpointId = '';
  const glanceImages: string[] = [];
  const imageBytes = randomBytes(256 * 1024);

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(cloud.url + path, {
      method, headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
  };
  /** Creates an image in the real Glance with `data` as its bytes; returns its id. */
  const glanceImage = async (token: string, name: string, visibility: string, data: Buffer): Promise<string> => {
    const r = await fetch(`${svc.glanceUrl}/v2/images`, {
      method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, visibility, disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    const id = ((await r.json()) as { id: string }).id;
    glanceImages.push(id);
    const up = await fetch(`${svc.glanceUrl}/v2/images/${id}/file`, { method: 'PUT', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' }, body: data });
    assert.equal(up.status, 204, await up.text());
    return id;
  };
  const cli = async (args: string[], json = true): Promise<OpenrcResult> => {
    const r = await openstackWithOpenrc(dir, 'admin-openrc', args, json);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed:\n${r.stderr}\n${r.stdout}\n--- nova ---\n${cloud.output.split('\n').slice(-30).join('\n')}`);
    return r;
  };

  before(async () => {
    adminToken = await keystoneToken(svc, svc.admin);
    cloud = await startCloudAgainst(svc, engine, ['[keystone_authtoken]', `token_cache_time = ${CACHE_SECONDS}`]);
    endpointId = await registerComputeEndpoint(svc, adminToken, `${cloud.url}/v2.1`);
    for (let i = 0; i < 150; i++) {
      const r = await api('GET', '/v2.1/os-services?binary=nova-compute', adminToken);
      if (r.status === 200 && r.json.services.length > 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    dir = mkdtempSync(join(tmpdir(), 'real-keystone-'));
    writeFileSync(join(dir, 'admin-openrc'), [
      'export OS_PROJECT_DOMAIN_NAME=Default', 'export OS_USER_DOMAIN_NAME=Default', `export OS_PROJECT_NAME=${svc.admin.project}`,
      `export OS_USERNAME=${svc.admin.user}`, `export OS_PASSWORD=${svc.admin.password}`, `export OS_AUTH_URL=${svc.authUrl}`,
      'export OS_IDENTITY_API_VERSION=3', 'export OS_IMAGE_API_VERSION=2', `export OS_REGION_NAME=${svc.region}`, '',
    ].join('\n'), { mode: 0o600 });
  });

  after(async () => {
    if (adminToken) {
      for (const id of glanceImages) await fetch(`${svc.glanceUrl}/v2/images/${id}`, { method: 'DELETE', headers: { 'X-Auth-Token': adminToken } }).catch(() => undefined);
      if (endpointId) await removeEndpoint(svc, adminToken, endpointId).catch(() => undefined);
    }
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let imageId = '';
  let serverId = '';

  it('a token from the real Keystone is accepted; an image with real bytes in the real Glance is listed and boots a server', async () => {
    const servers = await api('GET', '/v2.1/servers', adminToken);
    assert.equal(servers.status, 200, servers.text);
    imageId = await glanceImage(adminToken, `real-glance-${suffix}`, 'public', imageBytes);
    // Glance computed the digests of the bytes it stored.
    const doc = (await (await fetch(`${svc.glanceUrl}/v2/images/${imageId}`, { headers: { 'X-Auth-Token': adminToken } })).json()) as Record<string, unknown>;
    assert.equal(doc.status, 'active');
    assert.equal(doc.size, imageBytes.length);
    assert.equal(doc.checksum, createHash('md5').update(imageBytes).digest('hex'));
    // Through the Compute API's images proxy, which asks that Glance with the caller's token.
    const shown = await api('GET', `/v2.1/images/${imageId}`, adminToken);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.image.status, 'ACTIVE');
    assert.equal(shown.json.image['OS-EXT-IMG-SIZE:size'], imageBytes.length);
    const listed = await api('GET', '/v2.1/images/detail', adminToken);
    assert.ok(listed.json.images.some((i: { id: string }) => i.id === imageId), listed.text);
    // Its bytes come back from Glance unchanged.
    const data = await fetch(`${svc.glanceUrl}/v2/images/${imageId}/file`, { headers: { 'X-Auth-Token': adminToken } });
    assert.ok(Buffer.from(await data.arrayBuffer()).equals(imageBytes));

    const flavor = await api('POST', '/v2.1/flavors', adminToken, { flavor: { name: `real-${suffix}`, ram: 128, vcpus: 1, disk: 1 } });
    assert.equal(flavor.status, 200, flavor.text);
    const boot = await api('POST', '/v2.1/servers', adminToken, { server: { name: `vm-${suffix}`, imageRef: imageId, flavorRef: flavor.json.flavor.id } });
    assert.equal(boot.status, 202, boot.text);
    serverId = boot.json.server.id;
    const server = await cloud.waitServer(serverId, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', { token: adminToken, timeoutMs: 60_000 });
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server));
    assert.equal(server.image.id, imageId);
  });

  it('a token of another project sees none of the first project\'s servers or private images', async () => {
    const demo = await keystoneToken(svc, svc.demo);
    const show = await api('GET', `/v2.1/servers/${serverId}`, demo);
    assert.equal(show.status, 404, show.text);
    assert.ok(!show.text.includes(`vm-${suffix}`));
    const list = await api('GET', '/v2.1/servers/detail', demo);
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.servers, []);
    assert.equal((await api('DELETE', `/v2.1/servers/${serverId}`, demo)).status, 404);
    // A private image of the admin project, in the real Glance.
    const secret = await glanceImage(adminToken, `secret-${suffix}`, 'private', Buffer.from('private bytes'));
    const hidden = await api('GET', `/v2.1/images/${secret}`, demo);
    assert.equal(hidden.status, 404, hidden.text);
    assert.ok(!hidden.text.includes(`secret-${suffix}`));
    const images = await api('GET', '/v2.1/images', demo);
    assert.equal(images.status, 200);
    assert.ok(!images.text.includes(secret), images.text);
    assert.ok(images.text.includes(imageId), 'public images stay visible');
    // Glance itself agrees.
    assert.equal((await fetch(`${svc.glanceUrl}/v2/images/${secret}`, { headers: { 'X-Auth-Token': demo } })).status, 404);
    // The demo user can boot from the public image, and the admin sees that server too.
    const flavors = await api('GET', '/v2.1/flavors', demo);
    const flavorId = flavors.json.flavors.find((f: { name: string }) => f.name === `real-${suffix}`).id;
    const boot = await api('POST', '/v2.1/servers', demo, { server: { name: `demo-vm-${suffix}`, imageRef: imageId, flavorRef: flavorId } });
    assert.equal(boot.status, 202, boot.text);
    const server = await cloud.waitServer(boot.json.server.id, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', { token: demo, timeoutMs: 60_000 });
    assert.equal(server.status, 'ACTIVE');
    const all = await api('GET', '/v2.1/servers?all_tenants=1', adminToken);
    assert.deepEqual(all.json.servers.map((s: { name: string }) => s.name).sort(), [`demo-vm-${suffix}`, `vm-${suffix}`]);
    assert.equal((await api('DELETE', `/v2.1/servers/${boot.json.server.id}`, demo)).status, 204);
  });

  it('a token revoked in Keystone is refused with 401 in Nova\'s format, like a made-up one', async () => {
    const demo = await keystoneToken(svc, svc.demo);
    assert.equal((await api('GET', '/v2.1/servers', demo)).status, 200);
    const del = await fetch(`${svc.authUrl}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': demo, 'X-Subject-Token': demo } });
    assert.equal(del.status, 204);
    // Validations are cached for [keystone_authtoken] token_cache_time (2 s here), as
    // keystonemiddleware does: after that the revocation is seen.
    await new Promise((res) => setTimeout(res, CACHE_SECONDS * 1000 + 200));
    for (const token of [demo, 'gAAAAABnot-a-real-token', `${svc.admin.user}:${svc.admin.project}`]) {
      const r = await api('GET', '/v2.1/servers', token);
      assert.equal(r.status, 401, `${token}: ${r.text}`);
      assert.deepEqual(r.json, AUTH_REQUIRED);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${svc.authUrl}"`);
      assert.ok(!r.text.includes(token));
    }
    // Glance (keystonemiddleware) answers the same way: the header nova-ts copies.
    const g = await fetch(`${svc.glanceUrl}/v2/images`, { headers: { 'X-Auth-Token': demo } });
    assert.equal(g.status, 401);
    assert.equal(g.headers.get('www-authenticate'), `Keystone uri="${svc.authUrl}"`);
    assert.ok(!cloud.output.includes(demo), 'a token in the log');
    assert.ok(!cloud.output.includes(svc.nova.password), 'the service password in the log');
  });

  it('the stock openstack CLI with OS_AUTH_URL at the real Keystone: token, images, flavor, server create/list/delete', async () => {
    const token = (await cli(['token', 'issue'])).json;
    assert.match(token.id, /^gAAAAA/, 'a fernet token from the real Keystone');
    const file = join(dir, 'cirros.img');
    writeFileSync(file, imageBytes);
    const image = (await cli(['image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', '--public', `cirros-${suffix}`])).json;
    glanceImages.push(image.id);
    const stored = (await cli(['image', 'show', image.id])).json;
    assert.equal(stored.status, 'active');
    assert.equal(stored.checksum, createHash('md5').update(imageBytes).digest('hex'));
    const images = (await cli(['image', 'list'])).json as Array<{ ID: string; Name: string; Status: string }>;
    assert.ok(images.some((i) => i.Name === `cirros-${suffix}` && i.Status === 'active'), JSON.stringify(images));
    await cli(['flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', `m1.${suffix}`]);
    const server = (await cli(['server', 'create', '--image', `cirros-${suffix}`, '--flavor', `m1.${suffix}`, '--wait', `cli-vm-${suffix}`])).json;
    assert.equal(server.status, 'ACTIVE');
    const servers = (await cli(['server', 'list'])).json as Array<{ Name: string; Status: string; Image: string }>;
    assert.ok(servers.some((s) => s.Name === `cli-vm-${suffix}` && s.Status === 'ACTIVE' && s.Image === `cirros-${suffix}`), JSON.stringify(servers));
    await cli(['server', 'delete', '--wait', `cli-vm-${suffix}`], false);
    await cli(['server', 'delete', '--wait', serverId], false);
    assert.deepEqual((await cli(['server', 'list'])).json, []);
    // The catalog the CLI used is the real Keystone's, with this cloud's compute endpoint.
    const catalog = await keystoneCall(svc, adminToken, 'GET', '/auth/catalog');
    const compute = catalog.catalog.find((s: { type: string }) => s.type === 'compute');
    assert.equal(compute.endpoints[0].url, `${cloud.url}/v2.1`);
  });
});

const labOrWhy = typeof services === 'string' ? services : loadHypervisorLab();

/**
 * The libvirt driver (the hypervisor lab) booting from the real Glance: the compute downloads the
 * tiny guest's kernel, ramdisk and root disk with nova's service token (builds carry no user
 * token), checks the root disk against Glance's checksum, and refuses bytes that do not match.
 */
describe('the libvirt compute downloads from the real Glance, checksums checked', { skip: typeof labOrWhy === 'string' ? labOrWhy : false, timeout: 8 * 60_000 }, () => {
  const svc = services as OpenStackServices;
  const lab = labOrWhy as HypervisorLab;
  const prefix = `rk${suffix}`;
  let cloud: Cloud;
  let work = '';
  let instancesPath = '';
  let adminToken = '';
  const created: string[] = [];
  const files: Record<string, Buffer> = {};

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await cloud.request(method, path, { token: adminToken, body });
    return r;
  };
  const upload = async (name: string, doc: Record<string, unknown>, data: Buffer): Promise<string> => {
    const r = await fetch(`${svc.glanceUrl}/v2/images`, {
      method: 'POST', headers: { 'X-Auth-Token': adminToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, visibility: 'private', ...doc }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    const id = ((await r.json()) as { id: string }).id;
    created.push(id);
    const up = await fetch(`${svc.glanceUrl}/v2/images/${id}/file`, { method: 'PUT', headers: { 'X-Auth-Token': adminToken, 'Content-Type': 'application/octet-stream' }, body: data });
    assert.equal(up.status, 204, await up.text());
    files[id] = data;
    return id;
  };
  const boot = async (name: string, imageId: string, flavorId: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await api('POST', '/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: flavorId } });
    assert.equal(r.status, 202, r.text);
    return cloud.waitServer(r.body.server.id, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', { token: adminToken, timeoutMs: 180_000 });
  };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  before(async () => {
    adminToken = await keystoneToken(svc, svc.admin);
    work = mkdtempSync(join(tmpdir(), 'real-glance-libvirt-'));
    instancesPath = join(work, 'instances');
    const conf = libvirtConf(lab, instancesPath, { extra: `[DEFAULT]\ninstance_name_template = ${prefix}-%08x` }).split('\n');
    cloud = await startCloudAgainst(svc, 'sqlite', conf);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await api('GET', '/v2.1/os-hypervisors/detail');
      if (r.status === 200 && r.body.hypervisors.some((h: { memory_mb?: number }) => (h.memory_mb ?? 0) > 0)) break;
      assert.ok(Date.now() < deadline, `no hypervisor reported: ${r.text}\n${cloud.output.slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  });

  after(async () => {
    if (adminToken) for (const id of created) await fetch(`${svc.glanceUrl}/v2/images/${id}`, { method: 'DELETE', headers: { 'X-Auth-Token': adminToken } }).catch(() => undefined);
    await cloud?.stop().catch(() => undefined);
    if (instancesPath) removeDomainsUnder(lab.libvirtUri, instancesPath);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('boots the tiny guest from private images in the real Glance; a corrupted copy in Glance\'s store is refused', async () => {
    const kernelId = await upload(`${prefix}-kernel`, { disk_format: 'aki', container_format: 'aki' }, readFileSync(lab.guestKernel));
    const ramdiskId = await upload(`${prefix}-ramdisk`, { disk_format: 'ari', container_format: 'ari' }, readFileSync(lab.guestInitrd));
    const disk = join(work, 'root.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    const rootDoc = { disk_format: 'qcow2', container_format: 'bare', kernel_id: kernelId, ramdisk_id: ramdiskId, os_command_line: `${lab.guestCmdline} novats.nonet=1` };
    const imageId = await upload(prefix, rootDoc, readFileSync(disk));
    const flavor = await api('POST', '/v2.1/flavors', { flavor: { name: `${prefix}-nano`, ram: lab.guestRamMb, vcpus: 1, disk: 1 } });
    assert.equal(flavor.status, 200, flavor.text);
    const flavorId = flavor.body.flavor.id as string;

    const server = await boot(`${prefix}-vm`, imageId, flavorId);
    assert.equal(server.status, 'ACTIVE', `${JSON.stringify(server.fault)}\n${cloud.output.slice(-3000)}`);
    // The root disk went through the verified download (md5 and os_hash_value of Glance).
    assert.match(cloud.output, new RegExp(`image ${imageId} cached \\(${files[imageId]!.length} bytes`));
    // The kernel and ramdisk in the host's image cache are Glance's bytes.
    for (const id of [kernelId, ramdiskId]) assert.equal(sha(readFileSync(join(instancesPath, '_base', id))), sha(files[id]!));
    const deadline = Date.now() + 120_000;
    for (;;) {
      const out = await api('POST', `/v2.1/servers/${server.id}/action`, { 'os-getConsoleOutput': {} });
      if (out.status === 200 && String(out.body.output).includes(lab.guestMarker)) break;
      assert.ok(Date.now() < deadline, `no ${lab.guestMarker} on the console: ${out.text.slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    assert.equal((await api('DELETE', `/v2.1/servers/${server.id}`)).status, 204);

    // The same root disk again, then its bytes are changed behind Glance's back (its file store):
    // Glance serves them, the compute's check against the recorded checksum refuses them.
    const badId = await upload(`${prefix}-bad`, rootDoc, readFileSync(disk));
    const stored = join(svc.dir, 'glance-data', 'images', badId);
    const bytes = readFileSync(stored);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(stored, bytes);
    const bad = await boot(`${prefix}-bad-vm`, badId, flavorId);
    assert.equal(bad.status, 'ERROR');
    assert.match(cloud.output, new RegExp(`${badId}[^\\n]*(checksum|does not match)`, 'i'));
    assert.ok(!existsSync(join(dirname(cloud.confPath), 'image-cache', badId)), 'nothing of the bad download is kept');
    await cloud.waitServer(server.id, (s) => s === null, { token: adminToken, timeoutMs: 60_000 });
  });
});
