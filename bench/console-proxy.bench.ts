/**
 * Console proxy benchmark: what the noVNC proxy costs compared with talking to the VNC server
 * directly.
 *
 *   npm run bench:console            (or: node dist/bench/console-proxy.bench.js [--mb 256] [--rtts 2000] [--sessions 200])
 *
 * A local VNC-like server greets with `RFB 003.008`, then either streams `--mb` MiB as fast as the
 * socket takes it (the client asked `stream`) or echoes. The proxy (novncproxy.server.ts) runs in a
 * child process of its own, so its RSS is its own, with a stand-in consoleauth that accepts every
 * token (the token check is one RPC per session, not part of the data path). Measured:
 * - throughput (MiB/s) of one console, direct TCP vs WebSocket through the proxy (best of 3);
 * - added latency: round trips of 16-byte messages, direct vs proxy (median, p90, p99);
 * - concurrent consoles: `--sessions` WebSocket sessions opened and held idle on the one proxy
 *   process; its RSS before and after, and the time to open them all.
 * With the hypervisor lab (scripts/hypervisor-setup.sh) the proxy's SSH tunnel (to the lab's sshd)
 * is measured too: throughput and latency through `direct-tcpip`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, connect, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { ConsoleConnection } from '../src/consoleauth/consoleauth.rpc-client';
import { startNovncProxy } from '../src/novncproxy/novncproxy.server';
import type { VncTunnelOptions } from '../src/novncproxy/vnc-connector';
import { loadHypervisorLab } from '../test/utils/hypervisor-lab';

const GREETING = Buffer.from('RFB 003.008\n');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

// ------------------------------------------------------------------ the proxy process

interface ChildConfig {
  vncPort: number;
  tunnel?: VncTunnelOptions & { sshHost: string; sshPort: number };
}

async function runProxyChild(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_PROXY_CONFIG ?? '{}') as ChildConfig;
  const record = (viaSsh: boolean): ConsoleConnection => ({
    instance_uuid: 'bench', console_type: 'novnc', host: '127.0.0.1', port: cfg.vncPort, internal_access_path: null,
    access_url_base: null, expires: 0, ssh_tunnel: viaSsh && cfg.tunnel ? { host: cfg.tunnel.sshHost, port: cfg.tunnel.sshPort } : null,
  });
  const proxy = await startNovncProxy({
    host: '127.0.0.1', port: 0, allowedOrigins: [], maxConnections: 100_000,
    tokens: { check_token: (t: string) => Promise.resolve(t === 'direct' ? record(false) : t === 'ssh' ? record(true) : null) },
    sshTunnel: cfg.tunnel,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: string) => {
    if (m === 'rss') {
      gc?.();
      const m = process.memoryUsage();
      process.send!({ rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers, sessions: proxy.activeSessions });
    } else if (m === 'stop') {
      void proxy.close().then(() => process.exit(0));
    }
  });
  process.send!({ port: proxy.port });
}

interface Memory {
  rss: number;
  /** heapUsed + external + arrayBuffers after a GC. */
  heap: number;
  sessions: number;
}

class ProxyProcess {
  private constructor(private readonly child: ChildProcess, readonly port: number) {}

  static start(cfg: ChildConfig): Promise<ProxyProcess> {
    const child = fork(__filename, ['--proxy-child'], {
      execArgv: ['--expose-gc'], env: { ...process.env, BENCH_PROXY_CONFIG: JSON.stringify(cfg) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the proxy process exited (${code})`)));
      child.once('message', (m: { port: number }) => resolve(new ProxyProcess(child, m.port)));
    });
  }

  rss(): Promise<Memory> {
    return new Promise((resolve) => {
      this.child.once('message', (m: Memory) => resolve(m));
      this.child.send('rss');
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.send('stop');
    });
  }
}

// ------------------------------------------------------------------ the VNC-like server

/** Greets; a first message starting with `stream <n>` gets n bytes as fast as the socket takes them, anything else is echoed. */
async function startVncLikeServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.write(GREETING);
    sock.once('data', (first: Buffer) => {
      const m = /^stream (\d+)/.exec(first.toString('latin1'));
      if (!m) {
        sock.write(first);
        sock.on('data', (d) => sock.write(d));
        return;
      }
      let left = Number(m[1]);
      const pump = () => {
        while (left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!sock.write(piece)) return void sock.once('drain', pump);
        }
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

// ------------------------------------------------------------------ clients

/** One console's transport as the bench sees it: send bytes, get bytes. */
interface Pipe {
  send(b: Buffer): void;
  onData(cb: (b: Buffer) => void): void;
  close(): void;
}

function directPipe(port: number): Promise<Pipe> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('data', (greeting: Buffer) => {
      if (!greeting.subarray(0, GREETING.length).equals(GREETING)) return reject(new Error('no RFB greeting'));
      resolve({ send: (b) => void s.write(b), onData: (cb) => void s.on('data', cb), close: () => s.destroy() });
    });
  });
}

function proxyPipe(port: number, token: string): Promise<Pipe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?token=${token}`, ['binary'], { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`the proxy answered ${res.statusCode}`)));
    ws.once('message', (greeting: Buffer) => {
      if (!greeting.subarray(0, GREETING.length).equals(GREETING)) return reject(new Error('no RFB greeting'));
      resolve({ send: (b) => ws.send(b), onData: (cb) => void ws.on('message', (d: Buffer) => cb(d)), close: () => ws.terminate() });
    });
  });
}

async function throughput(open: () => Promise<Pipe>, bytes: number): Promise<number> {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const p = await open();
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      p.onData((b) => {
        got += b.length;
        if (got >= bytes) resolve();
      });
      p.send(Buffer.from(`stream ${bytes}`));
    });
    const mibs = bytes / (1024 * 1024) / ((performance.now() - t0) / 1000);
    best = Math.max(best, mibs);
    p.close();
  }
  return best;
}

async function latency(open: () => Promise<Pipe>, rtts: number): Promise<{ median: number; p90: number; p99: number }> {
  const p = await open();
  const msg = Buffer.alloc(16, 0x41);
  let waiting: (() => void) | null = null;
  let got = 0;
  p.onData((b) => {
    got += b.length;
    if (got >= msg.length && waiting) {
      got -= msg.length;
      const w = waiting;
      waiting = null;
      w();
    }
  });
  const once = () => new Promise<void>((resolve) => {
    waiting = resolve;
    p.send(msg);
  });
  for (let i = 0; i < 200; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < rtts; i++) {
    const s = performance.now();
    await once();
    samples.push(performance.now() - s);
  }
  p.close();
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99) };
}

const ms = (x: number) => `${(x * 1000).toFixed(0)} µs`;
const mb = (x: number) => `${(x / (1024 * 1024)).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const bytes = arg('mb', 256) * 1024 * 1024;
  const rtts = arg('rtts', 2000);
  const sessions = arg('sessions', 200);
  const vnc = await startVncLikeServer();
  const lab = loadHypervisorLab();
  const tunnel = typeof lab === 'string' ? undefined : {
    username: lab.sshUser, privateKeyFile: lab.privateKeyFile, knownHostsFile: lab.knownHostsFile, connectTimeoutMs: 10_000,
    sshHost: lab.sshHost, sshPort: lab.sshPort,
  };
  const proxy = await ProxyProcess.start({ vncPort: vnc.port, tunnel });
  console.log(`console proxy bench: ${mb(bytes)} per throughput run (best of 3), ${rtts} round trips of 16 bytes, ${sessions} idle sessions; node ${process.version}`);
  try {
    const direct = () => directPipe(vnc.port);
    const viaProxy = () => proxyPipe(proxy.port, 'direct');
    const viaSsh = () => proxyPipe(proxy.port, 'ssh');

    await new Promise((r) => setTimeout(r, 300));
    const idle = await proxy.rss();
    const t0 = performance.now();
    const held: Pipe[] = [];
    for (let i = 0; i < sessions; i += 50) {
      held.push(...await Promise.all(Array.from({ length: Math.min(50, sessions - i) }, () => viaProxy())));
    }
    const openMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = await proxy.rss();
    const per = (a: number, b: number) => `${((b - a) / 1024 / Math.max(1, loaded.sessions)).toFixed(1)} KiB`;
    console.log(`${loaded.sessions} idle consoles held by one proxy process (opened in ${openMs.toFixed(0)} ms, ${(sessions / (openMs / 1000)).toFixed(0)}/s): ` +
      `RSS ${mb(idle.rss)} with none → ${mb(loaded.rss)} (${per(idle.rss, loaded.rss)} per console); ` +
      `JS heap + buffers ${mb(idle.heap)} → ${mb(loaded.heap)} (${per(idle.heap, loaded.heap)} per console)`);
    for (const p of held) p.close();
    await new Promise((r) => setTimeout(r, 500));

    const rows: Array<[string, number, { median: number; p90: number; p99: number }]> = [];
    rows.push(['direct TCP', await throughput(direct, bytes), await latency(direct, rtts)]);
    rows.push(['through the proxy (ws → TCP)', await throughput(viaProxy, bytes), await latency(viaProxy, rtts)]);
    if (tunnel) rows.push(['through the proxy + SSH tunnel', await throughput(viaSsh, bytes), await latency(viaSsh, rtts)]);
    else console.log(`(no SSH tunnel figures: ${lab as string})`);
    console.log('\n| path | throughput | RTT median | RTT p90 | RTT p99 |\n|---|---|---|---|---|');
    for (const [name, tp, l] of rows) console.log(`| ${name} | ${tp.toFixed(0)} MiB/s | ${ms(l.median)} | ${ms(l.p90)} | ${ms(l.p99)} |`);
    const base = rows[0]![2];
    for (const [name, , l] of rows.slice(1)) {
      console.log(`added latency ${name}: median +${ms(l.median - base.median)}, p90 +${ms(l.p90 - base.p90)}`);
    }

  } finally {
    await proxy.stop();
    for (const s of vnc.sockets) s.destroy();
    vnc.server.close();
  }
}

if (process.argv.includes('--proxy-child')) {
  runProxyChild().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
