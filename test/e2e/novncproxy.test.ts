/**
 * The novncproxy role through the real binary (`nova --role=all`, SQLite, in-process bus, fake
 * driver). The fake driver has no VNC server, so the test runs a tiny one (it sends the RFB 3.8
 * greeting, echoes what it gets, and hangs up on `quit`) and points every fake guest's console
 * at it with `[fake_driver] vnc_console = 127.0.0.1:<port>`. Over a real WebSocket (the `ws`
 * client, as noVNC connects): a good token gets the greeting through the proxy and traffic flows
 * both ways until either side closes; a bad, reused, expired or deleted server's token and a
 * wrong Origin are refused before any TCP connection reaches the VNC server. The noVNC page and
 * its library are served, and nothing outside the package's assets is. A second part runs the
 * proxy in-process with a stub consoleauth: the connection limit and backpressure. A third part
 * gives the in-process proxy a self-signed certificate made with the openssl CLI ([DEFAULT] cert,
 * key, ssl_only): https/wss for a client trusting it, a failed handshake for one that does not,
 * plain connections served beside TLS, or refused with ssl_only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startNovncProxy, tokenFromRequestUrl } from '../../src/novncproxy/novncproxy.server';
import { loadProxyTls } from '../../src/novncproxy/proxy-listener';
import { Cloud, startCloud } from '../utils/cloud';
import { waitFor } from '../utils/nova-process';

const TTL = 2;
const GREETING = 'RFB 003.008\n';

type Outcome = { opened: true; ws: WebSocket; first: Buffer; protocol: string } | { opened: false; status: number; body: string };

/** Opens a console WebSocket (trusting `ca` for wss); resolves with the first message, or the HTTP refusal. */
function openConsole(url: string, origin?: string, ca?: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], { ...(ca ? { ca } : {}), ...(origin ? { origin } : {}) });
    ws.once('message', (data: Buffer) => resolve({ opened: true, ws, first: data, protocol: ws.protocol }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function rawGet(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('novncproxy (sqlite, fake driver, a local RFB server)', () => {
  let cloud: Cloud;
  let vnc: Server;
  let proxyPort: number;
  let image: string;
  let flavor: string;
  const vncSockets = new Set<Socket>();
  let vncConnections = 0;
  const tokens: string[] = [];
  const alice = 'alice:proj1';

  const boot = async (name: string): Promise<string> => {
    const r = await cloud.request('POST', '/v2.1/servers', { token: alice, body: { server: { name, imageRef: image, flavorRef: flavor } } });
    assert.equal(r.status, 202, r.text);
    const s = await cloud.waitServer(r.body.server.id as string, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: alice });
    assert.equal(s.status, 'ACTIVE');
    return s.id as string;
  };
  /** The console URL the API gives (as `openstack console url show` prints it), and its token. */
  const consoleUrl = async (id: string): Promise<{ url: string; token: string }> => {
    const r = await cloud.request('POST', `/v2.1/servers/${id}/action`, { token: alice, body: { 'os-getVNCConsole': { type: 'novnc' } } });
    assert.equal(r.status, 200, r.text);
    const url = r.body.console.url as string;
    const token = /\?path=%3Ftoken%3D([0-9a-f-]+)$/.exec(url)![1];
    tokens.push(token);
    return { url, token };
  };
  /** The WebSocket URL noVNC opens for a console URL: ws://<page host>/<path parameter>. */
  const wsUrlFor = (pageUrl: string): string => {
    const path = new URL(pageUrl).searchParams.get('path')!;
    return `ws://127.0.0.1:${proxyPort}/${path}`;
  };
  const ORIGIN = () => `http://127.0.0.1:${proxyPort}`;

  before(async () => {
    vnc = createServer((sock) => {
      vncConnections++;
      vncSockets.add(sock);
      sock.on('close', () => vncSockets.delete(sock));
      sock.on('error', () => undefined);
      sock.write(GREETING);
      sock.on('data', (d) => (d.toString() === 'quit' ? sock.end() : sock.write(d)));
    });
    await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
    const vncPort = (vnc.address() as { port: number }).port;
    cloud = await startCloud('sqlite', [
      '[fake_driver]', `vnc_console = 127.0.0.1:${vncPort}`,
      '[consoleauth]', `token_ttl = ${TTL}`,
      '[vnc]', 'novncproxy_host = 127.0.0.1', 'novncproxy_port = 0', 'novncproxy_base_url = http://127.0.0.1:6080/vnc_lite.html',
      '[console]', 'allowed_origins = console.example.org',
    ].join('\n'));
    await waitFor(() => /noVNC proxy listening on 127\.0\.0\.1:(\d+)/.test(cloud.output), 30_000, 'the noVNC proxy');
    proxyPort = Number(/noVNC proxy listening on 127\.0\.0\.1:(\d+)/.exec(cloud.output)![1]);
    await cloud.waitForCompute();
    image = await cloud.createImage('cirros');
    flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
  });
  after(async () => {
    await cloud?.stop();
    for (const s of vncSockets) s.destroy();
    await new Promise((resolve) => vnc?.close(resolve));
  });

  it('a good token: the RFB greeting through the proxy, traffic both ways, and the client closing closes the VNC side', async () => {
    const id = await boot('vnc-good');
    const { url } = await consoleUrl(id);
    assert.match(url, /^http:\/\/127\.0\.0\.1:6080\/vnc_lite\.html\?path=%3Ftoken%3D/);
    const before = vncConnections;
    const o = await openConsole(wsUrlFor(url), ORIGIN());
    assert.ok(o.opened, JSON.stringify(o));
    assert.equal(o.first.toString(), GREETING);
    assert.equal(o.protocol, 'binary');
    assert.equal(vncConnections, before + 1);
    const echoed = new Promise<Buffer>((resolve) => o.ws.once('message', resolve));
    o.ws.send(Buffer.from(GREETING));
    assert.equal((await echoed).toString(), GREETING);
    const closed = new Promise((resolve) => o.ws.once('close', resolve));
    o.ws.close();
    await closed;
    await waitFor(() => vncSockets.size === 0, 5_000, 'the VNC connection to close');
    await waitFor(() => /console session s\d+ for instance \S+ closed after/.test(cloud.output), 5_000, 'the session log line');
  });

  it('the VNC server hanging up closes the WebSocket; the token in ?token= works too', async () => {
    const id = await boot('vnc-hangup');
    const { token } = await consoleUrl(id);
    const o = await openConsole(`ws://127.0.0.1:${proxyPort}/websockify?token=${token}`);
    assert.ok(o.opened, JSON.stringify(o));
    const closed = new Promise<number>((resolve) => o.ws.once('close', (code: number) => resolve(code)));
    o.ws.send('quit');
    assert.equal(await closed, 1000);
  });

  it('refused without reaching the VNC server: bad, reused, expired and deleted-server tokens, a wrong Origin', async () => {
    const id = await boot('vnc-refused');
    const count = vncConnections;

    let o = await openConsole(`ws://127.0.0.1:${proxyPort}/?token=00000000-0000-4000-8000-000000000000`, ORIGIN());
    assert.deepEqual(o.opened ? 'opened' : o.status, 401, 'unknown token');
    o = await openConsole(`ws://127.0.0.1:${proxyPort}/`, ORIGIN());
    assert.deepEqual(o.opened ? 'opened' : o.status, 401, 'no token');

    // A wrong Origin is refused before the token is looked at, so the same token still works from the right origin.
    const { url } = await consoleUrl(id);
    o = await openConsole(wsUrlFor(url), 'http://evil.example.com');
    assert.deepEqual(o.opened ? 'opened' : [o.status, o.body.trim()], [403, 'Origin header does not match this host.']);
    o = await openConsole(wsUrlFor(url), `https://127.0.0.1:${proxyPort}`);
    assert.deepEqual(o.opened ? 'opened' : o.status, 403, 'wrong scheme');
    assert.equal(vncConnections, count);
    o = await openConsole(wsUrlFor(url), 'http://console.example.org');
    assert.ok(o.opened, 'an [console] allowed_origins host');
    o.ws.terminate();
    assert.equal(vncConnections, count + 1);
    o = await openConsole(wsUrlFor(url), ORIGIN());
    assert.deepEqual(o.opened ? 'opened' : o.status, 401, 'reused token');

    const late = await consoleUrl(id);
    await new Promise((resolve) => setTimeout(resolve, (TTL + 1) * 1000));
    o = await openConsole(wsUrlFor(late.url), ORIGIN());
    assert.deepEqual(o.opened ? 'opened' : o.status, 401, 'expired token');

    const orphan = await consoleUrl(id);
    const r = await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: alice });
    assert.equal(r.status, 204);
    await cloud.waitServer(id, (x) => x === null, { token: alice });
    o = await openConsole(wsUrlFor(orphan.url), ORIGIN());
    assert.deepEqual(o.opened ? 'opened' : o.status, 401, 'token of a deleted server');
    assert.equal(vncConnections, count + 1, 'no refused request reached the VNC server');
  });

  it('serves the noVNC page and library, and nothing outside them', async () => {
    for (const page of ['/vnc_lite.html', '/vnc_auto.html', '/vnc.html']) {
      const r = await rawGet(proxyPort, `${page}?path=%3Ftoken%3Dx`);
      assert.equal(r.status, 200, page);
      assert.match(r.type, /^text\/html/);
      assert.match(r.body, /import RFB from '\.\/core\/rfb\.js'/);
    }
    const rfb = await rawGet(proxyPort, '/core/rfb.js');
    assert.equal(rfb.status, 200);
    assert.match(rfb.type, /^text\/javascript/);
    assert.match(rfb.body, /export default class RFB/);
    assert.equal((await rawGet(proxyPort, '/vendor/pako/lib/zlib/inflate.js')).status, 200);
    for (const bad of ['/package.json', '/core/..%2fpackage.json', '/core/%2e%2e/%2e%2e/%2e%2e/package.json', '/core/../../../../etc/passwd', '/core/%00', '/core/']) {
      assert.equal((await rawGet(proxyPort, bad)).status, 404, bad);
    }
  });

  it('never logs a token', () => {
    assert.ok(tokens.length >= 5);
    for (const t of tokens) assert.ok(!cloud.output.includes(t), 'a token reached the log');
    assert.match(cloud.output, /console session s\d+ from 127\.0\.0\.1:\d+ opened for instance/);
  });
});

describe('novncproxy in-process (stub consoleauth): connection limit and backpressure', () => {
  const TOTAL = 64 * 1024 * 1024;
  let vnc: Server;
  let vncPort = 0;
  let written = 0;
  let connections = 0;
  const sockets = new Set<Socket>();

  before(async () => {
    // Greets, then streams TOTAL bytes as fast as the socket lets it (honouring drain).
    vnc = createServer((sock) => {
      connections++;
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
      sock.write(GREETING);
      sock.once('data', (d) => {
        if (d.toString() !== 'stream') return;
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = () => {
          while (written < TOTAL) {
            written += chunk.length;
            if (!sock.write(chunk)) return void sock.once('drain', pump);
          }
          sock.end();
        };
        pump();
      });
    });
    await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
    vncPort = (vnc.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => vnc.close(resolve));
  });

  const stub = () => ({
    check_token: (token: string) => Promise.resolve(token.startsWith('good') ? {
      instance_uuid: 'u1', console_type: 'novnc', host: '127.0.0.1', port: vncPort, internal_access_path: null, access_url_base: null, expires: 0,
    } : null),
  });

  it('tokens from ?token= and from noVNC\'s ?path=', () => {
    assert.equal(tokenFromRequestUrl('/?token=abc'), 'abc');
    assert.equal(tokenFromRequestUrl('/websockify?path=%3Ftoken%3Dxyz'), 'xyz');
    assert.equal(tokenFromRequestUrl('/?path=websockify'), null);
    assert.equal(tokenFromRequestUrl('/'), null);
  });

  it('[vnc] novncproxy_max_connections: one more is refused with 503 without reaching the VNC server', async () => {
    const proxy = await startNovncProxy({ host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 1, tokens: stub() });
    try {
      const url = `ws://127.0.0.1:${proxy.port}/?token=good`;
      const first = await openConsole(url);
      assert.ok(first.opened);
      const count = connections;
      const second = await openConsole(url);
      assert.deepEqual(second.opened ? 'opened' : second.status, 503);
      assert.equal(connections, count);
      const closed = new Promise((resolve) => first.ws.once('close', resolve));
      first.ws.close();
      await closed;
      await waitFor(() => proxy.activeSessions === 0, 5_000, 'the session to end');
      const third = await openConsole(url);
      assert.ok(third.opened, 'a slot is free again');
      third.ws.terminate();
    } finally {
      await proxy.close();
    }
  });

  it('backpressure: a client that stops reading stops the VNC server; everything arrives once it reads again', async () => {
    const proxy = await startNovncProxy({ host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 10, tokens: stub() });
    try {
      const o = await openConsole(`ws://127.0.0.1:${proxy.port}/?token=good`);
      assert.ok(o.opened);
      let received = 0;
      o.ws.on('message', (d: Buffer) => (received += d.length));
      o.ws.pause();
      o.ws.send('stream');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const stalledAt = written;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(written, stalledAt, 'the VNC server is held back');
      assert.ok(written < TOTAL / 2, `the proxy buffered ${written} bytes for a client that does not read`);
      const closed = new Promise<number>((resolve) => o.ws.once('close', (code: number) => resolve(code)));
      o.ws.resume();
      assert.equal(await closed, 1000);
      assert.equal(received, TOTAL);
    } finally {
      await proxy.close();
    }
  });
});

describe('novncproxy TLS ([DEFAULT] ssl_only, cert, key) with a self-signed certificate', () => {
  let dir = '';
  let vnc: Server;
  let vncPort = 0;
  let vncConnections = 0;
  const sockets = new Set<Socket>();
  let ca: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nova-ts-proxy-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'));
    writeFileSync(join(dir, 'both.pem'), Buffer.concat([ca, readFileSync(join(dir, 'key.pem'))]));
    vnc = createServer((sock) => {
      vncConnections++;
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
      sock.write(GREETING);
    });
    await new Promise<void>((resolve) => vnc.listen(0, '127.0.0.1', resolve));
    vncPort = (vnc.address() as { port: number }).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => vnc?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tokens = () => ({
    check_token: (token: string) => Promise.resolve(token === 'good' ? {
      instance_uuid: 'u1', console_type: 'novnc', host: '127.0.0.1', port: vncPort, internal_access_path: null, access_url_base: null, expires: 0,
    } : null),
  });
  const start = (conf: { ssl_only: boolean; cert: string; key?: string }) =>
    startNovncProxy({ host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 10, tokens: tokens(), tls: loadProxyTls(conf) });
  const secureGet = (port: number, path: string, trust: boolean) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: trust ? ca : undefined }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  const openSecure = (url: string, origin?: string) => openConsole(url, origin, ca);

  it('no certificate file: plain only; ssl_only without one is a configuration error', () => {
    assert.equal(loadProxyTls({ ssl_only: false, cert: join(dir, 'missing.pem') }), null);
    assert.throws(() => loadProxyTls({ ssl_only: true, cert: join(dir, 'missing.pem') }), /ssl_only is set but the certificate file .*missing\.pem does not exist/);
  });

  it('cert + key: https and wss with the CA trusted, an untrusted client fails the handshake, plain still served', async () => {
    const proxy = await start({ ssl_only: false, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    try {
      assert.equal(proxy.scheme, 'https');
      const page = await secureGet(proxy.port, '/vnc_lite.html', true);
      assert.equal(page.status, 200);
      assert.match(page.body, /import RFB from/);
      await assert.rejects(secureGet(proxy.port, '/vnc_lite.html', false), /self[- ]signed certificate/);
      const o = await openSecure(`wss://127.0.0.1:${proxy.port}/?token=good`, `https://127.0.0.1:${proxy.port}`);
      assert.ok(o.opened, JSON.stringify(o));
      assert.equal(o.first.toString(), GREETING);
      o.ws.terminate();
      // The page's origin is https: an http Origin on a wss connection is refused.
      const wrong = await openSecure(`wss://127.0.0.1:${proxy.port}/?token=good`, `http://127.0.0.1:${proxy.port}`);
      assert.deepEqual(wrong.opened ? 'opened' : wrong.status, 403);
      assert.equal((await rawGet(proxy.port, '/vnc_lite.html')).status, 200, 'plain HTTP without ssl_only');
    } finally {
      await proxy.close();
    }
  });

  it('ssl_only: plain HTTP and ws:// are refused before any token check; wss works (key inside the cert file)', async () => {
    const proxy = await start({ ssl_only: true, cert: join(dir, 'both.pem') });
    try {
      const count = vncConnections;
      const plain = await rawGet(proxy.port, '/vnc_lite.html');
      assert.deepEqual([plain.status, plain.body.trim()], [403, 'This console proxy only accepts TLS connections (ssl_only): use https:// or wss://.']);
      const ws = await openConsole(`ws://127.0.0.1:${proxy.port}/?token=good`);
      assert.deepEqual(ws.opened ? 'opened' : ws.status, 403);
      assert.equal(vncConnections, count, 'a refused plain connection never reaches the VNC server');
      const o = await openSecure(`wss://127.0.0.1:${proxy.port}/?token=good`);
      assert.ok(o.opened, JSON.stringify(o));
      assert.equal(o.first.toString(), GREETING);
      o.ws.terminate();
    } finally {
      await proxy.close();
    }
  });
});
