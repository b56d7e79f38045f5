/**
 * The browser console, the way a user gets it: the real binary (`nova --role=all`, SQLite,
 * in-process bus) on the libvirt driver against the hypervisor lab boots the tiny guest through
 * the real `openstack` CLI; `openstack console url show --novnc` prints a URL; Debian's chromium
 * (headless, driven by playwright-core, a fresh profile) opens exactly that URL, noVNC reports
 * it is connected, the canvas shows the guest's screen (the guest's /init draws a banner on its
 * VGA console: more than one colour, some of it the banner's blue), a screenshot is saved, and a
 * line typed into the page reaches the guest (its /init echoes keyboard lines to the serial
 * console, read back with `openstack console log show`). Reloading the page reuses the token:
 * the console does not connect (tokens are single use).
 *
 * The cloud's proxy serves TLS only (`[DEFAULT] ssl_only`, `cert`, `key`: a self-signed
 * certificate made with openssl, which chromium is told to trust by its key's hash), so the URL is
 * https and noVNC connects over wss; plain HTTP to the same port is refused. The proxy reaches the
 * guest's VNC server through the hypervisor host's sshd (`[vnc] server_proxyclient_ssh_host`, the
 * proxy's own key and known_hosts), and the log line of the session says so. Two proxies started in the test process with a stand-in consoleauth then show
 * the direct route (the same screen in the browser) and the tunnel's host-key check (the lab's
 * known_hosts gives the guest's RFB greeting; another key for the host is refused with 502).
 *
 * Skipped when the lab, chromium or the CLI is missing; NOVA_TS_REQUIRE_LAB=1 makes a missing lab
 * or chromium a failure. Screenshots stay in $NOVA_TS_ARTIFACTS_DIR, else a fresh temp directory
 * (the path is printed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import type { BrowserContext, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { startNovncProxy, type TokenChecker } from '../../src/novncproxy/novncproxy.server';
import { Cloud, startCloud } from '../utils/cloud';
import { HypervisorLab, loadHypervisorLab } from '../utils/hypervisor-lab';
import { libvirtConf, registerTinyGuest, removeDomainsUnder, waitForHypervisor } from '../utils/libvirt-cloud';
import { describeResult, OpenStackCli, openstackAvailable } from '../utils/openstack-cli';
import { canvasStats, launchChromium, waitForConsoleState, whyNoChromium } from '../utils/headless-browser';
import { freePort } from '../utils/free-port';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const labOrWhy = loadHypervisorLab();
const noChromium = whyNoChromium();
const osc = openstackAvailable();
const skip = typeof labOrWhy === 'string' ? labOrWhy : noChromium ?? (osc.ok ? false : `openstack CLI not available: ${osc.version}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a libvirt guest\'s console in a headless browser (openstack console url show → noVNC)', { skip, timeout: 8 * 60_000 }, () => {
  const lab = labOrWhy as HypervisorLab;
  let work = '';
  let instancesPath = '';
  let shots = '';
  let proxyPort = 0;
  let cloud: Cloud;
  let cli: OpenStackCli;
  let browser: BrowserContext | undefined;
  let page: Page;
  let consoleUrl = '';
  let vncPort = 0;

  const consoleLog = async (): Promise<string> => (await cli.ok(['console', 'log', 'show', 'console-vm'])).stdout;
  const waitConsoleLog = async (needle: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await consoleLog();
      if (log.includes(needle)) return;
      if (Date.now() > deadline) assert.fail(`"${needle}" not on the console log after ${timeoutMs} ms; console:\n${log.slice(-2000)}`);
      await sleep(500);
    }
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-console-browser-'));
    instancesPath = join(work, 'instances');
    shots = process.env.NOVA_TS_ARTIFACTS_DIR ?? mkdtempSync(join(tmpdir(), 'nova-ts-console-shots-'));
    mkdirSync(shots, { recursive: true });
    proxyPort = await freePort();
    // The proxy serves TLS only ([DEFAULT] ssl_only, cert, key): a self-signed certificate made
    // here; chromium trusts exactly its key (--ignore-certificate-errors-spki-list).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
    cloud = await startCloud('sqlite', libvirtConf(lab, instancesPath, {
      extra: [
        `novncproxy_port = ${proxyPort}`, `novncproxy_base_url = https://127.0.0.1:${proxyPort}/vnc_lite.html`,
        // The proxy reaches the guest's VNC server (127.0.0.1 as the hypervisor host sees it)
        // through the hypervisor host's sshd, with its own key and known_hosts.
        `server_proxyclient_ssh_host = ${lab.sshHost}`, `server_proxyclient_ssh_port = ${lab.sshPort}`,
        `novncproxy_ssh_user = ${lab.sshUser}`, `novncproxy_ssh_private_key_file = ${lab.privateKeyFile}`,
        `novncproxy_ssh_known_hosts_file = ${lab.knownHostsFile}`,
        // libvirtd is shared with other test clouds: domain names carry this run's prefix.
        '[DEFAULT]', `instance_name_template = console-${randomBytes(4).toString('hex')}-%08x`,
        'ssl_only = True', `cert = ${join(work, 'cert.pem')}`, `key = ${join(work, 'key.pem')}`,
      ].join('\n'),
    }));
    await cloud.waitForCompute();
    await waitForHypervisor(cloud);
    cli = await OpenStackCli.create(cloud, { imageEndpoint: cloud.imageUrl });
    await registerTinyGuest(cloud, lab, work, 'tiny');
    await cli.json(['flavor', 'create', '--ram', String(lab.guestRamMb), '--disk', '1', '--vcpus', '1', 'm1.nano']);
    const r = await cli.ok(['server', 'create', '--image', 'tiny', '--flavor', 'm1.nano', '--wait', 'console-vm'], { format: 'json', timeoutMs: 180_000 });
    assert.equal((JSON.parse(r.stdout) as Row).status, 'ACTIVE', describeResult(r));
    // The guest's keyboard reader starts before the marker.
    await waitConsoleLog(lab.guestMarker, 120_000);
    browser = await launchChromium(join(work, 'chromium-profile'), { trustCertificate: readFileSync(join(work, 'cert.pem')) });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (cli) console.log(`  ${cli.timing()}`);
    await cli?.close();
    await cloud?.stop().catch((e: unknown) => console.log(`  stopping nova: ${String(e)}`));
    if (instancesPath) {
      const left = removeDomainsUnder(lab.libvirtUri, instancesPath);
      if (left.length) console.log(`  removed leftover domains: ${left.join(', ')}`);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the URL the CLI prints opens a connected noVNC showing the guest\'s screen', async () => {
    const r = await cli.ok(['console', 'url', 'show', '--novnc', 'console-vm', '-f', 'value', '-c', 'url']);
    consoleUrl = r.stdout.trim();
    assert.match(consoleUrl, new RegExp(`^https://127\\.0\\.0\\.1:${proxyPort}/vnc_lite\\.html\\?path=%3Ftoken%3D[0-9a-f-]{36}$`), describeResult(r));
    const t0 = Date.now();
    await page.goto(consoleUrl);
    assert.equal(await waitForConsoleState(page, ['connected', 'failed', 'disconnected'], 60_000), 'connected', await page.locator('#status').textContent() ?? '');
    // The framebuffer arrives after the handshake: wait until the guest's banner is drawn.
    const deadline = Date.now() + 60_000;
    let stats = await canvasStats(page);
    while (!(stats.colours >= 2 && stats.bluish > 0) && Date.now() < deadline) {
      await sleep(500);
      stats = await canvasStats(page);
    }
    console.log(`  # console connected and drawn in ${Date.now() - t0} ms: canvas ${stats.width}x${stats.height}, ${stats.colours} colours, ${stats.nonBlack} non-black pixels`);
    const shot = join(shots, 'console-connected.png');
    await page.screenshot({ path: shot });
    await page.locator('#screen canvas').screenshot({ path: join(shots, 'console-canvas.png') });
    console.log(`  # screenshots in ${shots}`);
    assert.ok(readFileSync(shot).subarray(1, 4).toString() === 'PNG');
    assert.ok(stats.width >= 640 && stats.height >= 350, `the guest's VGA screen size, got ${stats.width}x${stats.height}`);
    assert.ok(stats.colours >= 2, `the canvas is blank: ${JSON.stringify(stats)}`);
    assert.ok(stats.nonBlack > 1000, `the canvas is (nearly) black: ${JSON.stringify(stats)}`);
    assert.ok(stats.bluish > 0, `the guest's blue banner is not on the canvas: ${JSON.stringify(stats)}`);
    const opened = new RegExp(`console session s\\d+ from 127\\.0\\.0\\.1:\\d+ opened for instance [0-9a-f-]{36} \\(VNC server 127\\.0\\.0\\.1:(59\\d\\d) via SSH ${lab.sshUser}@${lab.sshHost.replace(/\./g, '\\.')}:${lab.sshPort}\\)`);
    assert.match(cloud.output, opened, 'the session went through the SSH tunnel');
    vncPort = Number(opened.exec(cloud.output)![1]);
  });

  it('a line typed into the page reaches the guest (echoed on its serial console)', async () => {
    const word = `hello${randomBytes(4).toString('hex').replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]!)}`;
    const before = await canvasStats(page);
    await page.locator('#screen canvas').click();
    await page.keyboard.type(word, { delay: 30 });
    await page.keyboard.press('Enter');
    await waitConsoleLog(`NOVA-TS-KEYS: ${word}`, 60_000);
    // The guest's tty echoes what was typed on its screen too: the picture changed.
    const deadline = Date.now() + 10_000;
    let now = await canvasStats(page);
    while (now.nonBlack === before.nonBlack && Date.now() < deadline) {
      await sleep(300);
      now = await canvasStats(page);
    }
    await page.screenshot({ path: join(shots, 'console-typed.png') });
    assert.notEqual(now.nonBlack, before.nonBlack, 'the typed text shows on the guest\'s screen');
  });

  it('reloading the page reuses the token: the console does not connect', async () => {
    assert.ok(consoleUrl, 'the first test got a URL');
    const refusedBefore = cloud.output.split('refused: invalid token').length;
    await page.reload();
    assert.notEqual(await waitForConsoleState(page, ['connected', 'failed', 'disconnected'], 30_000), 'connected');
    await page.screenshot({ path: join(shots, 'console-reused-token.png') });
    assert.ok(cloud.output.split('refused: invalid token').length > refusedBefore, 'the proxy refused the reused token');
    // A fresh URL connects again.
    const fresh = (await cli.ok(['console', 'url', 'show', '--novnc', 'console-vm', '-f', 'value', '-c', 'url'])).stdout.trim();
    assert.notEqual(fresh, consoleUrl);
    await page.goto(fresh);
    assert.equal(await waitForConsoleState(page, ['connected', 'failed', 'disconnected'], 60_000), 'connected');
  });

  it('ssl_only: the same proxy refuses plain HTTP', async () => {
    const r = await page.goto(`http://127.0.0.1:${proxyPort}/vnc_lite.html`);
    assert.equal(r?.status(), 403);
    assert.match(await page.locator('body').innerText(), /only accepts TLS connections \(ssl_only\)/);
  });

  /** consoleauth as the proxy sees it, answering every `good` token with the guest's VNC server. */
  const stubTokens = (tunnel: boolean): TokenChecker => ({
    check_token: (token: string) => Promise.resolve(token === 'good' ? {
      instance_uuid: 'console-vm', console_type: 'novnc', host: '127.0.0.1', port: vncPort, internal_access_path: null,
      access_url_base: null, expires: 0, ssh_tunnel: tunnel ? { host: lab.sshHost, port: lab.sshPort } : null,
    } : null),
  });
  const captureLog = (lines: string[]): LoggerService => ({
    log: (m: unknown) => void lines.push(String(m)), warn: (m: unknown) => void lines.push(String(m)), error: (m: unknown) => void lines.push(String(m)),
  });

  it('a proxy that reaches the VNC server directly shows the same screen', async () => {
    assert.ok(vncPort > 0, 'the first test found the VNC port');
    const lines: string[] = [];
    const proxy = await startNovncProxy({ host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 5, tokens: stubTokens(false), logger: captureLog(lines) });
    try {
      await page.goto(`http://127.0.0.1:${proxy.port}/vnc_lite.html?path=%3Ftoken%3Dgood`);
      assert.equal(await waitForConsoleState(page, ['connected', 'failed', 'disconnected'], 60_000), 'connected');
      const deadline = Date.now() + 30_000;
      let stats = await canvasStats(page);
      while (stats.bluish === 0 && Date.now() < deadline) {
        await sleep(300);
        stats = await canvasStats(page);
      }
      assert.ok(stats.bluish > 0 && stats.colours >= 2, JSON.stringify(stats));
      assert.ok(lines.some((l) => new RegExp(`opened for instance console-vm \\(VNC server 127\\.0\\.0\\.1:${vncPort}\\)$`).test(l)), lines.join('\n'));
      await page.goto('about:blank');
    } finally {
      await proxy.close();
    }
  });

  it('through the SSH tunnel a WebSocket client gets the guest\'s RFB greeting; a wrong host key is refused', async () => {
    const other = join(work, 'other_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-lab', '-f', other]);
    const wrongKnownHosts = join(work, 'wrong_known_hosts');
    const otherPub = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(wrongKnownHosts, `[${lab.sshHost}]:${lab.sshPort} ${otherPub}\n`);
    for (const [knownHostsFile, good] of [[lab.knownHostsFile, true], [wrongKnownHosts, false]] as const) {
      const lines: string[] = [];
      const proxy = await startNovncProxy({
        host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 5, tokens: stubTokens(true), logger: captureLog(lines),
        sshTunnel: { username: lab.sshUser, privateKeyFile: lab.privateKeyFile, knownHostsFile, connectTimeoutMs: 10_000 },
      });
      try {
        const o = await openConsole(`ws://127.0.0.1:${proxy.port}/?token=good`);
        if (good) {
          assert.ok(o.opened, JSON.stringify(o));
          assert.equal(o.first.toString('latin1'), 'RFB 003.008\n');
          o.ws.terminate();
          assert.ok(lines.some((l) => l.includes(`(VNC server 127.0.0.1:${vncPort} via SSH ${lab.sshUser}@${lab.sshHost}:${lab.sshPort})`)), lines.join('\n'));
        } else {
          assert.deepEqual(o.opened ? 'opened' : [o.status, o.body.trim()], [502, 'The console is not reachable.']);
          assert.ok(lines.some((l) => /host key verification failed: the key offered by .* does not match/.test(l)), lines.join('\n'));
        }
      } finally {
        await proxy.close();
      }
    }
  });
});

type Outcome = { opened: true; ws: WebSocket; first: Buffer } | { opened: false; status: number; body: string };

/** Opens a console WebSocket as noVNC does; resolves with the first message, or the HTTP refusal. */
function openConsole(url: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary']);
    ws.once('message', (data: Buffer) => resolve({ opened: true, ws, first: data }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}
