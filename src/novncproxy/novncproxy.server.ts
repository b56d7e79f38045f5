/**
 * The novncproxy role (Nova's `nova-novncproxy`): an HTTP server that serves the noVNC client and
 * a WebSocket endpoint that joins a browser to a guest's VNC server.
 *
 * A WebSocket upgrade is accepted only when (in this order) the process holds fewer than
 * `[vnc] novncproxy_max_connections` sessions (else 503), the Origin header, when sent, names this
 * proxy's own host or one of `[console] allowed_origins` with this proxy's scheme (else 403), and
 * consoleauth accepts the token over RPC (`check_token`, which also consumes it; else 401). The
 * token comes from the `token` query parameter or from the `path` parameter noVNC passes along
 * (`?path=%3Ftoken%3D...`). Only then is the VNC server (host and port from the token) connected,
 * directly or through the hypervisor host's sshd when the compute asks for it (vnc-connector.ts);
 * when that fails the answer is 502. Refusals never open a connection to the VNC server.
 *
 * The listener speaks plain HTTP, or TLS with `[DEFAULT] cert`/`key` (and only TLS with
 * `ssl_only`): proxy-listener.ts. The Origin must then have the https scheme.
 *
 * Frames are piped as binary both ways with backpressure (a full WebSocket buffer pauses the TCP
 * socket and vice versa); either side closing closes the other. Each session logs one line when it
 * opens and one when it closes, never the token.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { LoggerService } from '@nestjs/common';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import type { NovaConf } from '../config/options';
import type { ConsoleConnection } from '../consoleauth/consoleauth.rpc-client';
import { NOVNC_PAGE } from './novnc-page';
import { createProxyListener, loadProxyTls, type ProxyTls } from './proxy-listener';
import { VncConnector, vncTunnelOptions, type VncTunnelOptions } from './vnc-connector';

/** What the proxy needs of consoleauth (ConsoleAuthRpcClient). */
export interface TokenChecker {
  check_token(token: string, timeoutMs?: number): Promise<ConsoleConnection | null>;
}

export interface NovncProxyOptions {
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  maxConnections: number;
  tokens: TokenChecker;
  logger?: LoggerService;
  /** How long consoleauth may take to answer (default 15 s: it waits up to 10 s for the compute). */
  checkTimeoutMs?: number;
  /** How long connecting to the VNC server may take (default 10 s). */
  connectTimeoutMs?: number;
  /** TLS of the listener (`[DEFAULT] ssl_only`, `cert`, `key`); null/unset: plain HTTP. */
  tls?: ProxyTls | null;
  /** The proxy's SSH identity for consoles behind an SSH tunnel (`[vnc] novncproxy_ssh_*`). */
  sshTunnel?: VncTunnelOptions;
}

export interface RunningNovncProxy {
  port: number;
  /** `https` when the listener serves TLS. */
  scheme: 'http' | 'https';
  /** Sessions open or being set up. */
  readonly activeSessions: number;
  close(): Promise<void>;
}

const PAGES = new Set(['/vnc_auto.html', '/vnc_lite.html', '/vnc.html']);
const ASSET_DIRS = ['core', 'vendor'];
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.wasm': 'application/wasm',
};

/** The installed `@novnc/novnc` package's directory (its only export is `core/rfb.js`). */
export function novncPackageDir(): string {
  return dirname(dirname(require.resolve('@novnc/novnc')));
}

/** The console token in an upgrade request's URL: `?token=` or inside noVNC's `?path=`. */
export function tokenFromRequestUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url, 'http://proxy.invalid');
  } catch {
    return null;
  }
  const direct = u.searchParams.get('token');
  if (direct) return direct;
  const path = u.searchParams.get('path');
  if (path) {
    try {
      return new URL(path, 'http://proxy.invalid').searchParams.get('token') || null;
    } catch {
      return null;
    }
  }
  return null;
}

const bareHost = (h: string) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/**
 * Nova's origin check (`NovaProxyRequestHandler.new_websocket_client`): without an Origin header
 * (not a browser) the request passes; otherwise its host must be the Host the client asked for or
 * one of `allowedOrigins`, and its scheme this proxy's. Returns the refusal, or null.
 */
export function originRefusal(originHeader: string | undefined, hostHeader: string | undefined, allowedOrigins: readonly string[], scheme = 'http'): string | null {
  if (originHeader === undefined) return null;
  let origin: URL;
  try {
    origin = new URL(originHeader);
  } catch {
    return 'Origin header not valid.';
  }
  if (!origin.hostname || !origin.protocol) return 'Origin header not valid.';
  if (origin.protocol !== `${scheme}:`) return 'Origin header protocol does not match this host.';
  let expected = '';
  try {
    expected = hostHeader ? new URL(`${scheme}://${hostHeader}`).hostname : '';
  } catch {
    expected = '';
  }
  const allowed = [expected, ...allowedOrigins].filter(Boolean).map(bareHost);
  return allowed.includes(bareHost(origin.hostname)) ? null : 'Origin header does not match this host.';
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function startNovncProxy(opts: NovncProxyOptions): Promise<RunningNovncProxy> {
  const log = (msg: string) => opts.logger?.log(msg, 'novncproxy');
  const warn = (msg: string) => opts.logger?.warn(msg, 'novncproxy');
  const pkgDir = novncPackageDir();
  const sessions = new Set<{ ws?: WebSocket; tcp?: Duplex }>();
  const home = process.env.HOME ?? '/root';
  const connector = new VncConnector(opts.sshTunnel ?? {
    username: 'root', privateKeyFile: `${home}/.ssh/id_ed25519`, knownHostsFile: `${home}/.ssh/known_hosts`, connectTimeoutMs: 10_000,
  }, opts.connectTimeoutMs ?? 10_000);
  let nextId = 1;
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 4 * 1024 * 1024,
    // noVNC >= 1.3 offers no subprotocol by default; older clients and websockify's ask for `binary`.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : protocols.has('websockify') ? 'websockify' : false),
  });

  const serveStatic = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://proxy.invalid').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad Request\n');
      return;
    }
    const common = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'SAMEORIGIN' };
    if (PAGES.has(pathname)) {
      res.writeHead(200, { ...common, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(NOVNC_PAGE) });
      res.end(req.method === 'HEAD' ? undefined : NOVNC_PAGE);
      return;
    }
    const target = resolve(pkgDir, `.${pathname}`);
    const inAssets = !pathname.includes('\0') && ASSET_DIRS.some((d) => target.startsWith(`${pkgDir}${sep}${d}${sep}`));
    const stat = inAssets ? await fsp.stat(target).catch(() => null) : null;
    if (!stat?.isFile()) {
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain' }).end('Not Found\n');
      return;
    }
    res.writeHead(200, {
      ...common, 'Content-Type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream', 'Content-Length': stat.size, 'Cache-Control': 'max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target).on('error', () => res.destroy()).pipe(res);
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const id = `s${nextId++}`;
    const from = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    socket.on('error', () => undefined);
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable', 'The console proxy is stopping.');
    if (sessions.size >= opts.maxConnections) {
      warn(`console session ${id} from ${from} refused: ${sessions.size} sessions open (novncproxy_max_connections)`);
      return refuseUpgrade(socket, 503, 'Service Unavailable', 'Too many console connections.');
    }
    const session: { ws?: WebSocket; tcp?: Duplex } = {};
    sessions.add(session);
    let released = false;
    const release = () => {
      if (!released) sessions.delete(session);
      released = true;
    };
    try {
      const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
      const refusal = originRefusal(req.headers.origin, req.headers.host, opts.allowedOrigins, scheme);
      if (refusal) {
        log(`console session ${id} from ${from} refused: ${refusal} (Origin ${req.headers.origin ?? ''})`);
        return refuseUpgrade(socket, 403, 'Forbidden', refusal);
      }
      const token = tokenFromRequestUrl(req.url ?? '/');
      if (!token) {
        log(`console session ${id} from ${from} refused: no token`);
        return refuseUpgrade(socket, 401, 'Unauthorized', 'The console token is missing.');
      }
      let info: ConsoleConnection | null;
      try {
        info = await opts.tokens.check_token(token, opts.checkTimeoutMs ?? 15_000);
      } catch (err) {
        warn(`console session ${id} from ${from} refused: consoleauth did not answer: ${describe(err)}`);
        return refuseUpgrade(socket, 503, 'Service Unavailable', 'The console token cannot be checked now.');
      }
      if (!info || info.console_type !== 'novnc') {
        log(`console session ${id} from ${from} refused: invalid token`);
        return refuseUpgrade(socket, 401, 'Unauthorized', 'The console token is invalid, expired or already used.');
      }
      let target: string;
      let tcp: Duplex;
      try {
        ({ stream: tcp, route: target } = await connector.connect(info));
      } catch (err) {
        warn(`console session ${id} from ${from} for instance ${info.instance_uuid}: cannot reach the VNC server at ${info.host}:${info.port}${info.ssh_tunnel ? ` through SSH ${info.ssh_tunnel.host}:${info.ssh_tunnel.port}` : ''}: ${describe(err)}`);
        return refuseUpgrade(socket, 502, 'Bad Gateway', 'The console is not reachable.');
      }
      session.tcp = tcp;
      if (closing || socket.destroyed) {
        tcp.destroy();
        return void socket.destroy();
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        session.ws = ws;
        pipeSession(id, from, info, target, ws, tcp, release);
      });
    } catch (err) {
      warn(`console session ${id} from ${from} failed: ${describe(err)}`);
      socket.destroy();
    } finally {
      if (!session.ws) {
        session.tcp?.destroy();
        release();
      }
    }
  };

  const pipeSession = (id: string, from: string, info: ConsoleConnection, target: string, ws: WebSocket, tcp: Duplex, release: () => void) => {
    const started = Date.now();
    let toClient = 0;
    let fromClient = 0;
    log(`console session ${id} from ${from} opened for instance ${info.instance_uuid} (VNC server ${target})`);
    const stream = createWebSocketStream(ws);
    stream.on('error', () => tcp.destroy());
    tcp.on('error', () => stream.destroy());
    tcp.on('data', (chunk: Buffer) => { toClient += chunk.length; });
    stream.on('data', (chunk: Buffer) => { fromClient += chunk.length; });
    // The VNC server hanging up closes the WebSocket with 1000 (normal), after the data before it.
    tcp.pipe(stream, { end: false });
    tcp.once('end', () => {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'The VNC server closed the connection');
    });
    stream.pipe(tcp);
    tcp.resume();
    let open = 2;
    const done = () => {
      if (--open > 0) return;
      release();
      log(`console session ${id} for instance ${info.instance_uuid} closed after ${((Date.now() - started) / 1000).toFixed(1)}s (${toClient} bytes to the client, ${fromClient} from it)`);
    };
    ws.once('close', () => {
      tcp.destroy();
      done();
    });
    tcp.once('close', () => {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'The VNC server closed the connection');
      setTimeout(() => ws.terminate(), 5000).unref();
      done();
    });
  };

  const listener = createProxyListener(
    (req, res) => void serveStatic(req, res).catch(() => res.destroy()),
    (req, socket, head) => void onUpgrade(req, socket, head),
    opts.tls ?? null,
  );
  const server = listener.server;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.removeListener('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const scheme = listener.tls ? 'https' : 'http';
  log(`noVNC proxy listening on ${opts.host}:${port}${listener.tls ? ` (TLS${opts.tls?.sslOnly ? ' only' : ' and plain'})` : ''}`);
  return {
    port,
    scheme,
    get activeSessions() {
      return sessions.size;
    },
    close: async () => {
      closing = true;
      for (const s of sessions) {
        s.ws?.terminate();
        s.tcp?.destroy();
      }
      wss.close();
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      listener.closeAllConnections();
      await closed;
      await connector.close();
    },
  };
}

/** The proxy as `[vnc]` / `[console]` configure it. */
export function startNovncProxyFromConf(conf: NovaConf, tokens: TokenChecker, logger?: LoggerService): Promise<RunningNovncProxy> {
  return startNovncProxy({
    host: conf.vnc.novncproxy_host,
    port: conf.vnc.novncproxy_port,
    allowedOrigins: conf.console.allowed_origins,
    maxConnections: conf.vnc.novncproxy_max_connections,
    tokens,
    logger,
    tls: loadProxyTls(conf.DEFAULT),
    sshTunnel: vncTunnelOptions(conf.vnc),
  });
}
