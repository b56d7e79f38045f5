/**
 * Remote consoles through the real binary (`nova --role=all`, fake driver) at the advertised
 * microversion (2.1): the os-getVNCConsole action and its siblings, the 2.6/2.31 routes' 404/400
 * below their versions. On MariaDB + RabbitMQ the test process also calls consoleauth's
 * `check_token` over the broker, as the noVNC proxy will: a token works once, not after it
 * expired (`[consoleauth] token_ttl = 3`), and not after its server was deleted. The later
 * microversions are covered by test/consoleauth/remote-consoles-unit.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AmqpBus } from '../../src/rpc/amqp.bus';
import { ConsoleAuthRpcClient } from '../../src/consoleauth/consoleauth.rpc-client';
import type { MessageBus } from '../../src/rpc/message-bus';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { RABBIT_URL as RABBIT } from '../utils/buses';
import { waitFor } from '../utils/nova-process';

const TTL = 3;
const URL_RE = /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/;

for (const engine of BACKENDS) {
  describe(`remote consoles (${engine})`, () => {
    let cloud: Cloud;
    let image: string;
    let flavor: string;
    let bus: AmqpBus | undefined;
    const alice = 'alice:proj1';

    const boot = async (name: string): Promise<string> => {
      const r = await cloud.request('POST', '/v2.1/servers', { token: alice, body: { server: { name, imageRef: image, flavorRef: flavor } } });
      assert.equal(r.status, 202, r.text);
      const id = r.body.server.id as string;
      const s = await cloud.waitServer(id, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: alice });
      assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
      return id;
    };
    const action = (id: string, body: unknown, token = alice) => cloud.request('POST', `/v2.1/servers/${id}/action`, { token, body });
    const vncUrl = async (id: string): Promise<string> => {
      const r = await action(id, { 'os-getVNCConsole': { type: 'novnc' } });
      assert.equal(r.status, 200, r.text);
      return r.body.console.url as string;
    };
    const tokenOf = (url: string) => URL_RE.exec(url)![1];

    before(async () => {
      cloud = await startCloud(engine, `[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n[consoleauth]\ntoken_ttl = ${TTL}\n`);
      await cloud.waitForCompute();
      await waitFor(async () => (await cloud.request('GET', '/v2.1/os-hypervisors')).body.hypervisors.length > 0, 30_000, 'the compute node');
      image = await cloud.createImage('cirros');
      flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
      if (engine === 'mysql') {
        const exchange = /control_exchange = (\S+)/.exec(readFileSync(cloud.confPath, 'utf8'))![1];
        bus = await AmqpBus.connect({ transportUrl: RABBIT, controlExchange: exchange });
      }
    });
    after(async () => {
      await bus?.close(1000);
      await cloud?.stop();
    });

    it('os-getVNCConsole at 2.1: 200 {"console": {type, url}} with the token in path=, as Nova builds it', async () => {
      const id = await boot('vnc-1');
      const r = await action(id, { 'os-getVNCConsole': { type: 'novnc' } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.body), ['console']);
      assert.deepEqual(Object.keys(r.body.console), ['type', 'url']);
      assert.equal(r.body.console.type, 'novnc');
      assert.match(r.body.console.url, URL_RE);
      assert.notEqual(tokenOf(await vncUrl(id)), tokenOf(r.body.console.url), 'a new token every time');
    });

    it("the console actions' 400s, 404s and 410, and the newer routes below their microversion", async () => {
      const id = await boot('vnc-2');
      let r = await action(id, { 'os-getVNCConsole': { type: 'xvpvnc' } });
      assert.deepEqual([r.status, r.body], [400, { badRequest: { code: 400, message: 'Invalid console type xvpvnc' } }]);
      r = await action(id, { 'os-getVNCConsole': { type: 'bogus' } });
      assert.equal(r.status, 400);
      r = await action(id, { 'os-getVNCConsole': {} });
      assert.equal(r.status, 400);
      r = await action(id, { 'os-getSPICEConsole': { type: 'spice-html5' } });
      assert.deepEqual([r.status, r.body], [400, { badRequest: { code: 400, message: 'Unavailable console type spice-html5.' } }]);
      r = await action(id, { 'os-getSerialConsole': { type: 'serial' } });
      assert.deepEqual([r.status, r.body], [400, { badRequest: { code: 400, message: 'Unavailable console type serial.' } }]);
      r = await action(id, { 'os-getRDPConsole': { type: 'rdp-html5' } });
      assert.equal(r.status, 410);
      r = await action(id, { 'os-getVNCConsole': { type: 'novnc' } }, 'bob:proj2');
      assert.deepEqual([r.status, r.body.itemNotFound?.message], [404, `Instance ${id} could not be found.`]);
      r = await cloud.request('POST', `/v2.1/servers/${id}/remote-consoles`, { token: alice, body: { remote_console: { protocol: 'vnc', type: 'novnc' } } });
      assert.equal(r.status, 404, 'remote-consoles needs 2.6');
      const token = tokenOf(await vncUrl(id));
      r = await cloud.request('GET', `/v2.1/os-console-auth-tokens/${token}`);
      assert.deepEqual([r.status, r.body.badRequest?.message], [400, 'The requested console type details are not accessible']);
      r = await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: alice });
      assert.equal(r.status, 204);
      await cloud.waitServer(id, (x) => x === null, { token: alice });
      r = await action(id, { 'os-getVNCConsole': { type: 'novnc' } });
      assert.equal(r.status, 404);
    });

    if (engine === 'mysql') {
      it('check_token over RabbitMQ: valid once, refused the second time, after expiry, and after the server is deleted', async () => {
        const consoleauth = new ConsoleAuthRpcClient(bus as unknown as MessageBus);
        const id = await boot('vnc-3');
        const token = tokenOf(await vncUrl(id));
        const conn = await consoleauth.check_token(token, 15_000);
        assert.ok(conn, 'a fresh token is valid');
        assert.equal(conn.instance_uuid, id);
        assert.equal(conn.host, 'fakevncconsole.com');
        assert.equal(conn.port, 6969);
        assert.equal(conn.console_type, 'novnc');
        assert.equal(await consoleauth.check_token(token, 15_000), null, 'single use');
        assert.equal(await consoleauth.check_token('00000000-0000-4000-8000-000000000000', 15_000), null, 'unknown');

        const late = tokenOf(await vncUrl(id));
        await new Promise((resolve) => setTimeout(resolve, (TTL + 1) * 1000));
        assert.equal(await consoleauth.check_token(late, 15_000), null, 'expired');

        const orphan = tokenOf(await vncUrl(id));
        const r = await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: alice });
        assert.equal(r.status, 204);
        await cloud.waitServer(id, (x) => x === null, { token: alice });
        assert.equal(await consoleauth.check_token(orphan, 15_000), null, 'the server is gone');
        assert.match(cloud.output, /console token [0-9a-f]{8} accepted/);
        assert.ok(!cloud.output.includes(token) && !cloud.output.includes(orphan), 'tokens never reach the log');
      });
    }
  });
}
