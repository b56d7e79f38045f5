/**
 * Parses oslo.messaging's `[DEFAULT] transport_url`:
 *
 *   rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost?heartbeat=30&ssl=1
 *
 * `amqp://` is accepted as a synonym of `rabbit://`; unset, empty or `fake://` selects the
 * in-process bus (null). Credentials and the vhost are URL-decoded. Pure: no I/O.
 */
import { NovaError } from '../common/errors';

export class InvalidTransportUrl extends NovaError {}

export interface BrokerHost {
  host: string;
  port: number;
}

export interface TransportUrl {
  scheme: 'rabbit' | 'amqp';
  hosts: BrokerHost[];
  username: string;
  password: string;
  /** `/` when the URL names none. */
  virtualHost: string;
  /** Query options, e.g. `{heartbeat: "30", ssl: "1"}`. */
  query: Record<string, string>;
  /** TLS requested with `?ssl=1` / `?ssl=true`. */
  tls: boolean;
}

const DEFAULT_PORT = 5672;
const DEFAULT_TLS_PORT = 5671;

/** Returns null for the in-process bus; throws InvalidTransportUrl (with the password masked). */
export function parseTransportUrl(url: string | null | undefined): TransportUrl | null {
  const text = (url ?? '').trim();
  if (text === '') return null;
  const fail = (why: string): never => {
    throw new InvalidTransportUrl(`invalid transport_url ${maskTransportUrl(text)}: ${why}`);
  };
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!m) return fail('expected rabbit://user:pass@host:port/vhost');
  const scheme = m[1].toLowerCase();
  if (scheme === 'fake') return null;
  if (scheme !== 'rabbit' && scheme !== 'amqp') return fail(`unsupported scheme ${scheme}:// (use rabbit://)`);
  const rest = m[2];
  const netlocEnd = rest.search(/[/?#]/);
  const netloc = netlocEnd < 0 ? rest : rest.slice(0, netlocEnd);
  let tail = netlocEnd < 0 ? '' : rest.slice(netlocEnd);
  const hashAt = tail.indexOf('#');
  if (hashAt >= 0) tail = tail.slice(0, hashAt);
  const qAt = tail.indexOf('?');
  const path = qAt >= 0 ? tail.slice(0, qAt) : tail;
  const queryText = qAt >= 0 ? tail.slice(qAt + 1) : '';

  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(queryText)) query[k] = v;
  const tls = ['1', 'true', 'yes', 'on'].includes((query.ssl ?? '').toLowerCase());

  let virtualHost = '/';
  if (path.length > 1) virtualHost = decode(path.slice(1), 'virtual host', fail);

  if (netloc === '') return fail('no broker host');
  let username: string | undefined;
  let password: string | undefined;
  const hosts: BrokerHost[] = [];
  for (const part of netloc.split(',')) {
    if (part === '') return fail('empty host in the host list');
    const at = part.lastIndexOf('@');
    const hostPort = at >= 0 ? part.slice(at + 1) : part;
    if (at >= 0) {
      const creds = part.slice(0, at);
      const colon = creds.indexOf(':');
      const user = decode(colon >= 0 ? creds.slice(0, colon) : creds, 'user name', fail);
      const pass = colon >= 0 ? decode(creds.slice(colon + 1), 'password', fail) : '';
      if (username === undefined) {
        username = user;
        password = pass;
      } else if (username !== user || password !== pass) {
        return fail('every host must use the same credentials');
      }
    }
    hosts.push(parseHostPort(hostPort, tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, fail));
  }
  return {
    scheme,
    hosts,
    username: username ?? 'guest',
    password: password ?? 'guest',
    virtualHost,
    query,
    tls,
  };
}

function parseHostPort(text: string, defaultPort: number, fail: (why: string) => never): BrokerHost {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return fail(`bad IPv6 host ${text}`);
    host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return fail(`bad host ${text}`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  if (host === '') return fail('empty host name');
  let port = defaultPort;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return fail(`bad port ${portText}`);
    port = Number(portText);
  }
  return { host, port };
}

function decode(text: string, what: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`bad URL encoding in the ${what}`);
  }
}

/** `host:port`, IPv6 literals bracketed (the form rabbitmq-client's `hosts` expects). */
export function formatHost(h: BrokerHost): string {
  return `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

/** The URL for messages and logs: `rabbit://guest:****@127.0.0.1:5672/`. Never shows the password. */
export function describeTransportUrl(url: TransportUrl): string {
  const user = encodeURIComponent(url.username);
  const hosts = url.hosts.map((h) => `${user}:****@${formatHost(h)}`).join(',');
  const vhost = url.virtualHost === '/' ? '' : encodeURIComponent(url.virtualHost);
  const query = new URLSearchParams(url.query).toString();
  return `${url.scheme}://${hosts}/${vhost}${query ? `?${query}` : ''}`;
}

/** Masks every password in a transport URL string, even one that does not parse. */
export function maskTransportUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  if (!m) return url.replace(/:[^:@]*@/g, ':****@');
  const segments = m[2].split(',').map((seg) => {
    const at = seg.lastIndexOf('@');
    if (at < 0) return seg;
    const colon = seg.indexOf(':');
    return colon >= 0 && colon < at ? `${seg.slice(0, colon)}:****${seg.slice(at)}` : seg;
  });
  return m[1] + segments.join(',');
}
