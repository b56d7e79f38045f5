/**
 * A running nova-ts cloud for functional tests: the real binary (`nova --role=all`) on either
 * backend pair, the API on an ephemeral port, and a small HTTP client speaking its dialect.
 *   sqlite: embedded SQLite files + the in-process bus
 *   mysql:  a throwaway MariaDB database + RabbitMQ (a throwaway exchange)
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabases, Engine, TestDatabases } from './databases';
import { NovaProcess, runNova, writeConf } from './nova-process';
import { RABBIT_URL as RABBIT } from './buses';

export const BACKENDS: Engine[] = ['sqlite', 'mysql'];

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  /** noauth2 token `user:project`; default `admin:admin`; null sends none. */
  token?: string | null;
  /** Sent as `OpenStack-API-Version: compute <v>`. */
  version?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export class Cloud {
  constructor(readonly url: string, readonly confPath: string, private readonly proc: NovaProcess, private readonly dbs: TestDatabases, readonly imageUrl: string) {}

  /** Uploads a small active image to the built-in image service; returns its id. */
  async createImage(name = 'cirros', opts: { token?: string; visibility?: string; min_ram?: number; min_disk?: number } = {}): Promise<string> {
    const headers = { 'X-Auth-Token': opts.token ?? 'admin:admin', 'Content-Type': 'application/json' };
    const r = await fetch(`${this.imageUrl}/v2/images`, {
      method: 'POST', headers,
      body: JSON.stringify({ name, disk_format: 'qcow2', container_format: 'bare', visibility: opts.visibility ?? 'public', min_ram: opts.min_ram ?? 0, min_disk: opts.min_disk ?? 0 }),
    });
    if (r.status !== 201) throw new Error(`image create: ${r.status} ${await r.text()}`);
    const id = ((await r.json()) as { id: string }).id;
    const up = await fetch(`${this.imageUrl}/v2/images/${id}/file`, {
      method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('fake image data '.repeat(64)),
    });
    if (up.status !== 204) throw new Error(`image upload: ${up.status} ${await up.text()}`);
    return id;
  }

  /** Creates a flavor as admin; returns its id. */
  async createFlavor(name: string, ram = 512, vcpus = 1, disk = 1): Promise<string> {
    const r = await this.request('POST', '/v2.1/flavors', { body: { flavor: { name, ram, vcpus, disk, id: null } } });
    if (r.status !== 200) throw new Error(`flavor create: ${r.status} ${r.text}`);
    return r.body.flavor.id as string;
  }

  /** Polls a server until `done(server)` or the timeout; returns the last body (404 → null). */
  async waitServer(id: string, done: (s: any) => boolean, opts: { token?: string; timeoutMs?: number; version?: string } = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const until = Date.now() + (opts.timeoutMs ?? 20_000);
    let last: unknown = undefined;
    while (Date.now() < until) {
      const r = await this.request('GET', `/v2.1/servers/${id}`, { token: opts.token, version: opts.version });
      if (r.status !== 200 && r.status !== 404) throw new Error(`GET /servers/${id}: ${r.status} ${r.text}`);
      last = r.status === 404 ? null : r.body?.server;
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`server ${id} did not reach the expected state; last: ${JSON.stringify(last)}\n${this.output.split('\n').slice(-30).join('\n')}`);
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    const token = opts.token === undefined ? 'admin:admin' : opts.token;
    if (token !== null) headers['X-Auth-Token'] = token;
    if (opts.version) headers['OpenStack-API-Version'] = `compute ${opts.version}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  /**
   * The compute registers through the conductor (over RabbitMQ on mysql) a little after the API
   * listens; waits for it, and for the conductor's first heartbeat (which sets its updated_at).
   */
  async waitForCompute(host = 'functest'): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const r = await this.request('GET', `/v2.1/os-services?host=${host}`);
      const services: Array<{ binary: string; updated_at: string | null }> = r.status === 200 ? r.body.services : [];
      if (services.some((s) => s.binary === 'nova-compute') && services.some((s) => s.binary === 'nova-conductor' && s.updated_at !== null)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`nova-compute did not register; nova output:\n${this.output.split('\n').slice(-40).join('\n')}`);
  }

  get output(): string {
    return this.proc.output;
  }

  async stop(): Promise<void> {
    try {
      await this.proc.stop('SIGTERM');
    } finally {
      await this.dbs.drop();
    }
  }
}

/**
 * The nova.conf of a test (or bench) cloud: state under the throwaway databases' directory, every
 * listener on a free loopback port, noauth2; on mysql the throwaway databases and RabbitMQ with
 * an exchange of its own (`<exchangePrefix>_<random>`). `defaults` go in [DEFAULT].
 */
export function cloudConfLines(engine: Engine, dbs: TestDatabases, exchangePrefix: string, defaults: string[] = []): string[] {
  const lines = [
    '[DEFAULT]',
    `state_path = ${dbs.statePath}`,
    'osapi_compute_listen = 127.0.0.1',
    'osapi_compute_listen_port = 0',
    'graceful_shutdown_timeout = 5',
    ...defaults,
  ];
  if (engine === 'mysql') lines.push(`transport_url = ${RABBIT}`, `control_exchange = ${exchangePrefix}_${randomBytes(3).toString('hex')}`);
  lines.push('[api]', 'auth_strategy = noauth2', '[image_service]', 'listen = 127.0.0.1', 'listen_port = 0');
  // The console proxy of --role=all on a free loopback port: test clouds must not fight over 6080.
  lines.push('[vnc]', 'novncproxy_host = 127.0.0.1', 'novncproxy_port = 0');
  if (engine === 'mysql') lines.push('[database]', `connection = ${dbs.main}`, '[api_database]', `connection = ${dbs.api}`);
  return lines;
}

export async function startCloud(engine: Engine, extraConf = ''): Promise<Cloud> {
  const dbs = await createTestDatabases(engine);
  const lines = cloudConfLines(engine, dbs, 'nova_api', ['report_interval = 2']);
  const conf = writeConf(dbs.statePath, 'nova.conf', lines.join('\n') + '\n' + mergeSections(extraConf));
  const sync = runNova(['db', 'sync', '--config-file', conf]);
  if (sync.code !== 0) throw new Error(`db sync failed: ${sync.stderr}`);
  const proc = new NovaProcess(['--role=all', '--config-file', conf, '--host', 'functest']);
  await proc.waitForOutput(/Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//, 60_000);
  const port = /Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(proc.output)![1];
  await proc.waitForOutput(/built-in image service listening on 127\.0\.0\.1:(\d+)/, 30_000);
  const imagePort = /built-in image service listening on 127\.0\.0\.1:(\d+)/.exec(proc.output)![1];
  return new Cloud(`http://127.0.0.1:${port}`, conf, proc, dbs, `http://127.0.0.1:${imagePort}`);
}

/** Extra config is appended; later files override earlier keys, and so do later lines. */
function mergeSections(extra: string): string {
  return extra.trim() === '' ? '' : extra.trim() + '\n';
}
