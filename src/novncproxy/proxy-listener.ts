/**
 * The console proxy's listener and its TLS (Nova's `[DEFAULT] ssl_only`, `cert`, `key`, as
 * websockify applies them): without a certificate file the proxy speaks plain HTTP/WebSocket;
 * with one it serves TLS (https/wss) and, unless `ssl_only`, plain connections too on the same
 * port (the first byte tells them apart: a TLS ClientHello starts with 0x16). With `ssl_only`
 * a plain connection gets a short HTTP 403 and is closed before any request is read; `ssl_only`
 * without a readable certificate is a configuration error at start-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConfigError } from '../common/errors';

export interface ProxyTls {
  cert: Buffer;
  key: Buffer;
  sslOnly: boolean;
}

/** The TLS material of `[DEFAULT] cert`/`key`, or null when the proxy is plain (no certificate file). */
export function loadProxyTls(d: { ssl_only: boolean; cert: string; key?: string }): ProxyTls | null {
  if (!d.cert || !existsSync(d.cert)) {
    if (d.ssl_only) throw new ConfigError([`[DEFAULT] ssl_only is set but the certificate file ${d.cert || '(cert is empty)'} does not exist`]);
    return null;
  }
  try {
    const cert = readFileSync(d.cert);
    const key = d.key ? readFileSync(d.key) : cert;
    return { cert, key, sslOnly: d.ssl_only };
  } catch (err) {
    throw new ConfigError([`the console proxy cannot read its TLS certificate or key: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface ProxyListener {
  /** The listening server (bound by the caller). */
  server: NetServer;
  /** Whether TLS connections are served. */
  tls: boolean;
  /** Closes every connection, open or idle, once the server stops listening. */
  closeAllConnections(): void;
}

const PLAIN_REFUSED = 'This console proxy only accepts TLS connections (ssl_only): use https:// or wss://.\n';

export function createProxyListener(onRequest: RequestHandler, onUpgrade: UpgradeHandler, tls: ProxyTls | null): ProxyListener {
  const plain = createHttpServer(onRequest);
  const servers: HttpServer[] = [plain];
  for (const s of servers) {
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_err, socket: Duplex) => socket.destroy());
  }
  if (!tls) return { server: plain, tls: false, closeAllConnections: () => plain.closeAllConnections() };

  const secure = createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, onRequest);
  secure.on('upgrade', onUpgrade);
  secure.on('clientError', (_err, socket: Duplex) => socket.destroy());
  secure.on('tlsClientError', (_err, socket: Duplex) => socket.destroy());
  const raw = new Set<Socket>();
  const front = createNetServer((socket) => {
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.destroy();
      socket.setTimeout(0);
      socket.unshift(first);
      if (first[0] === 0x16) return void secure.emit('connection', socket);
      if (tls.sslOnly) {
        const body = PLAIN_REFUSED;
        socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return void setTimeout(() => socket.destroy(), 1000).unref();
      }
      plain.emit('connection', socket);
    });
  });
  return {
    server: front,
    tls: true,
    closeAllConnections: () => {
      plain.closeAllConnections();
      secure.closeAllConnections();
      for (const s of raw) s.destroy();
    },
  };
}
