/**
 * Drives a running nova-ts cloud with the real python-openstackclient (`openstack`, OSC 6.0.0 from
 * Debian's python3-openstackclient).
 *
 * Every invocation runs `openstack --os-cloud <name> <args>` with a clouds.yaml written to a
 * temporary directory, a clean environment (no OS_* or proxy variables from the machine, HOME and
 * the working directory in that temporary directory) and a timeout.
 *
 * Two kinds of clouds are written (see CLOUDS):
 *  - `nova-ts-admin`, `nova-ts-member`, `nova-ts-other`: keystoneauth's `admin_token` plugin straight
 *    at the noauth2 API (reference §8.5), the set-up the README documents. OSC 6.0.0 then sends
 *    every request, whatever the service, to `auth.endpoint` (novaclient ignores
 *    `compute_endpoint_override`), has no catalog and no token scope.
 *  - `nova-ts-admin-keystone`, `nova-ts-member-keystone`: password auth against a tiny fake Keystone
 *    (below) whose tokens are the noauth2 `user:project` strings and whose catalog has only compute
 *    and identity. Commands that look projects up in Keystone (`quota set <project>`,
 *    `quota show [<project>]`, `flavor create --project`, `limits show --project`) need it.
 *
 * The CLI does not talk to nova directly: an in-process recording proxy sits in front of it (and
 * also serves the fake Keystone under /identity), so a failure shows the HTTP exchanges of the
 * command next to the CLI's stderr and the cloud's output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, request as httpRequest, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud } from './cloud';

/** The `openstack` executable; NOVA_TEST_OPENSTACK overrides PATH lookup. */
export const OPENSTACK_BIN = process.env.NOVA_TEST_OPENSTACK ?? 'openstack';

export type CloudName =
  | 'nova-ts-admin'
  | 'nova-ts-member'
  | 'nova-ts-other'
  | 'nova-ts-admin-keystone'
  | 'nova-ts-member-keystone';

interface CloudDef {
  user: string;
  project: string;
  keystone: boolean;
}

/** user:project of each cloud; `admin` is the admin user for noauth2. */
export const CLOUDS: Record<CloudName, CloudDef> = {
  'nova-ts-admin': { user: 'admin', project: 'admin', keystone: false },
  'nova-ts-member': { user: 'alice', project: 'proj1', keystone: false },
  'nova-ts-other': { user: 'bob', project: 'proj2', keystone: false },
  'nova-ts-admin-keystone': { user: 'admin', project: 'admin', keystone: true },
  'nova-ts-member-keystone': { user: 'alice', project: 'proj1', keystone: true },
};

/** Projects and users the fake Keystone knows (ids = names). */
const KEYSTONE_PROJECTS = ['admin', 'proj1', 'proj2'];
const KEYSTONE_USERS: Record<string, string[]> = { admin: ['admin', 'member', 'reader'], alice: ['member', 'reader'], bob: ['member', 'reader'] };

export interface RecordedExchange {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** Lower-cased request headers. */
  headers: Record<string, string>;
  body: string;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** True for requests the fake Keystone answered. */
  keystone: boolean;
}

export interface OpenStackCliOptions {
  /**
   * Written as `image_endpoint_override` of every cloud (e.g. the built-in image service); image
   * requests then go straight there, not through the recording proxy. Unset: no image endpoint.
   */
  imageEndpoint?: string;
}

export interface RunOptions {
  cloud?: CloudName;
  /** Appends `-f <format>`; default none (not every command accepts -f). */
  format?: 'json' | 'value';
  /** `--os-compute-api-version`. */
  apiVersion?: string;
  timeoutMs?: number;
}

export interface CliResult {
  argv: string[];
  cloud: CloudName;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
  /** HTTP exchanges made during the command (nova and the fake Keystone). */
  exchanges: RecordedExchange[];
  /** What the nova process printed while the command ran. */
  cloudOutput: string;
}

/** True when `openstack --version` runs. */
export function openstackAvailable(): { ok: boolean; version: string } {
  const r = spawnSync(OPENSTACK_BIN, ['--version'], { encoding: 'utf8', env: cleanEnv(tmpdir()), timeout: 30_000 });
  return { ok: r.status === 0, version: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/** True when GET <path> (as admin) answers 200, e.g. to skip tests of APIs not routed yet. */
export async function routeExists(cloud: Cloud, path: string): Promise<boolean> {
  const r = await cloud.request('GET', path);
  return r.status === 200;
}

export class OpenStackCli {
  readonly dir: string;
  readonly cloudsYaml: string;
  /** Every exchange seen by the proxy, in order. */
  readonly exchanges: RecordedExchange[] = [];
  /** Every invocation, in order (for timing). */
  readonly history: CliResult[] = [];
  private server!: Server;
  private frontUrl = '';
  private upstream: URL;

  private constructor(readonly cloud: Cloud, private readonly options: OpenStackCliOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'osc-'));
    this.cloudsYaml = join(this.dir, 'clouds.yaml');
    this.upstream = new URL(cloud.url);
  }

  static async create(cloud: Cloud, options: OpenStackCliOptions = {}): Promise<OpenStackCli> {
    const cli = new OpenStackCli(cloud, options);
    await cli.listen();
    cli.writeConfig();
    return cli;
  }

  /** The URL the CLI uses for the compute API (the proxy's /v2.1). */
  get computeUrl(): string {
    return `${this.frontUrl}/v2.1`;
  }

  get identityUrl(): string {
    return `${this.frontUrl}/identity/v3`;
  }

  /** The clouds.yaml text (also written to `cloudsYaml`). */
  cloudsYamlText(): string {
    const lines = ['clouds:'];
    for (const [name, def] of Object.entries(CLOUDS) as Array<[CloudName, CloudDef]>) {
      lines.push(`  ${name}:`);
      if (def.keystone) {
        lines.push(
          '    auth_type: v3password',
          '    auth:',
          `      auth_url: ${this.identityUrl}`,
          `      username: ${def.user}`,
          '      password: secret',
          `      project_name: ${def.project}`,
          '      user_domain_id: default',
          '      project_domain_id: default',
          '    identity_api_version: 3',
        );
      } else {
        lines.push(
          '    auth_type: admin_token',
          '    auth:',
          `      endpoint: ${this.computeUrl}`,
          `      token: "${def.user}:${def.project}"`,
          `    compute_endpoint_override: ${this.computeUrl}`,
        );
      }
      if (this.options.imageEndpoint) lines.push(`    image_endpoint_override: ${this.options.imageEndpoint}`);
      lines.push('    region_name: RegionOne');
    }
    return lines.join('\n') + '\n';
  }

  private writeConfig(): void {
    writeFileSync(this.cloudsYaml, this.cloudsYamlText());
    // An existing secure.yaml stops openstacksdk from merging one from ./, ~/.config or /etc.
    writeFileSync(join(this.dir, 'secure.yaml'), 'clouds: {}\n');
  }

  /** Runs `openstack --os-cloud <cloud> [--os-compute-api-version v] <args> [-f fmt]`. */
  async run(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    const cloudName = opts.cloud ?? 'nova-ts-admin';
    const argv = ['--os-cloud', cloudName];
    if (opts.apiVersion) argv.push('--os-compute-api-version', opts.apiVersion);
    argv.push(...args);
    if (opts.format) argv.push('-f', opts.format);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const firstExchange = this.exchanges.length;
    const outputStart = this.cloud.output.length;
    const started = Date.now();
    const env = cleanEnv(this.dir, {
      OS_CLIENT_CONFIG_FILE: this.cloudsYaml,
      OS_CLIENT_SECURE_FILE: join(this.dir, 'secure.yaml'),
    });
    const child = spawn(OPENSTACK_BIN, argv, { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => {
      child.on('error', (e) => {
        stderr += `spawn ${OPENSTACK_BIN} failed: ${e.message}`;
        res([null, null]);
      });
      child.on('close', (c, s) => res([c, s]));
    });
    clearTimeout(timer);
    let json: unknown = undefined;
    try {
      json = stdout.trim() ? JSON.parse(stdout) : undefined;
    } catch {
      json = undefined;
    }
    const result: CliResult = {
      argv,
      cloud: cloudName,
      code,
      signal,
      timedOut,
      stdout,
      stderr,
      json,
      ms: Date.now() - started,
      exchanges: this.exchanges.slice(firstExchange),
      cloudOutput: this.cloud.output.slice(outputStart),
    };
    this.history.push(result);
    return result;
  }

  /** Runs and asserts exit code 0; the error carries stderr, the HTTP exchanges and nova's output. */
  async ok(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`command failed\n${describeResult(r)}`);
    return r;
  }

  /** Runs with `-f json`, asserts success and returns the parsed output. */
  async json<T = any>(args: string[], opts: Omit<RunOptions, 'format'> = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await this.ok(args, { ...opts, format: 'json' });
    if (r.json === undefined) throw new Error(`stdout is not JSON\n${describeResult(r)}`);
    return r.json as T;
  }

  /** Runs and asserts a non-zero exit code (not a timeout). */
  async fails(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    const r = await this.run(args, opts);
    if (r.code === 0 || r.code === null) throw new Error(`expected the command to fail\n${describeResult(r)}`);
    return r;
  }

  /** The first recorded exchange (of `r`, or of everything) matching method and path regex. */
  find(method: string, path: RegExp, r?: CliResult): RecordedExchange | undefined {
    return (r?.exchanges ?? this.exchanges).find((x) => x.method === method && path.test(x.url));
  }

  /** Invocation count and total time, for the suite's summary line. */
  timing(): string {
    const total = this.history.reduce((s, r) => s + r.ms, 0);
    return `${this.history.length} openstack invocations, ${(total / 1000).toFixed(1)} s total, ${this.history.length ? Math.round(total / this.history.length) : 0} ms mean`;
  }

  async close(): Promise<void> {
    await new Promise<void>((res) => {
      this.server.closeAllConnections();
      this.server.close(() => res());
    });
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- the recording proxy + fake Keystone ----

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = req.url ?? '/';
        if (path === '/identity' || path.startsWith('/identity/')) this.keystone(req, body.toString(), res);
        else this.forward(req, body, res);
      });
    });
    await new Promise<void>((res) => this.server.listen(0, '127.0.0.1', () => res()));
    this.frontUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private record(req: IncomingMessage, body: string, status: number, resHeaders: Record<string, string>, resBody: string, keystone: boolean): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    this.exchanges.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body, status, responseHeaders: resHeaders, responseBody: resBody, keystone });
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const headers = { ...req.headers };
    delete headers['connection'];
    delete headers['keep-alive'];
    // The Host header stays the proxy's, so the links nova builds point back through the proxy.
    const up = httpRequest(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
      (ures) => {
        const chunks: Buffer[] = [];
        ures.on('data', (c: Buffer) => chunks.push(c));
        ures.on('end', () => {
          const out = Buffer.concat(chunks);
          const resHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(ures.headers)) {
            if (v === undefined || ['connection', 'keep-alive', 'transfer-encoding'].includes(k)) continue;
            resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          if (req.method !== 'HEAD') resHeaders['content-length'] = String(out.length);
          this.record(req, body.toString(), ures.statusCode ?? 502, resHeaders, out.toString(), false);
          res.writeHead(ures.statusCode ?? 502, resHeaders);
          res.end(out);
        });
      },
    );
    up.on('error', (e) => {
      const msg = `proxy: upstream ${this.cloud.url} failed: ${e.message}`;
      this.record(req, body.toString(), 502, {}, msg, false);
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(msg);
    });
    up.end(body);
  }

  /** The slice of Keystone v3 the CLI needs: discovery, password tokens with a catalog, project lookups. */
  private keystone(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.frontUrl);
    const path = url.pathname.replace(/\/+$/, '');
    const send = (status: number, doc: unknown, extra: Record<string, string> = {}) => {
      const text = JSON.stringify(doc);
      const headers = { 'content-type': 'application/json', ...extra };
      this.record(req, body, status, headers, text, true);
      res.writeHead(status, headers);
      res.end(text);
    };
    const notFound = (what: string) => send(404, { error: { code: 404, title: 'Not Found', message: `Could not find ${what}.` } });
    const version = {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${this.identityUrl}/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
    const project = (id: string) => ({ id, name: id, domain_id: 'default', enabled: true, is_domain: false, parent_id: 'default', description: '', tags: [], links: { self: `${this.identityUrl}/projects/${id}` } });
    if (path === '/identity') return send(300, { versions: { values: [version] } });
    if (path === '/identity/v3') return send(200, { version });
    if (path === '/identity/v3/auth/tokens' && req.method === 'POST') {
      let user = '';
      let projectName = '';
      try {
        const auth = JSON.parse(body).auth;
        user = auth.identity.password.user.name ?? auth.identity.password.user.id;
        projectName = auth.scope.project.name ?? auth.scope.project.id;
      } catch {
        return send(400, { error: { code: 400, title: 'Bad Request', message: 'fake Keystone: only password auth scoped to a project' } });
      }
      const roles = KEYSTONE_USERS[user];
      if (!roles || !KEYSTONE_PROJECTS.includes(projectName)) return send(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      const now = new Date();
      const endpoint = (id: string, url: string) => ({ id, interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url });
      const token = {
        methods: ['password'],
        user: { id: user, name: user, domain: { id: 'default', name: 'Default' }, password_expires_at: null },
        project: { id: projectName, name: projectName, domain: { id: 'default', name: 'Default' } },
        is_domain: false,
        roles: roles.map((r) => ({ id: r, name: r })),
        catalog: [
          { id: 'compute', type: 'compute', name: 'nova', endpoints: [endpoint('compute-public', this.computeUrl)] },
          { id: 'identity', type: 'identity', name: 'keystone', endpoints: [endpoint('identity-public', this.identityUrl)] },
        ],
        audit_ids: ['fake'],
        issued_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
      };
      // The token id is what reaches nova as X-Auth-Token: noauth2's user:project.
      return send(201, { token }, { 'x-subject-token': `${user}:${projectName}` });
    }
    const m = /^\/identity\/v3\/projects\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const id = decodeURIComponent(m[1]);
      return KEYSTONE_PROJECTS.includes(id) ? send(200, { project: project(id) }) : notFound(`project: ${id}`);
    }
    if (path === '/identity/v3/projects' && req.method === 'GET') {
      const name = url.searchParams.get('name');
      return send(200, { projects: KEYSTONE_PROJECTS.filter((p) => name === null || p === name).map(project), links: { self: null, next: null, previous: null } });
    }
    return notFound(`${req.method} ${path} (fake Keystone)`);
  }
}

const MAX_BODY = 1500;
const clip = (s: string, n = MAX_BODY) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** One line per exchange: method, path, the microversion headers, status and the response body. */
export function describeExchange(x: RecordedExchange): string {
  const mv = [x.headers['openstack-api-version'] && `OpenStack-API-Version: ${x.headers['openstack-api-version']}`, x.headers['x-openstack-nova-api-version'] && `X-OpenStack-Nova-API-Version: ${x.headers['x-openstack-nova-api-version']}`]
    .filter(Boolean)
    .join('; ');
  const who = x.keystone ? ' (fake Keystone)' : '';
  const ua = x.headers['user-agent'] ? ` UA=${x.headers['user-agent'].split(' ')[0]}` : '';
  const token = x.headers['x-auth-token'] ? ` token=${x.headers['x-auth-token']}` : '';
  const reqBody = x.body ? `\n      body: ${clip(x.body, 500)}` : '';
  let resBody = clip(x.responseBody);
  try {
    const doc = JSON.parse(x.responseBody);
    if (doc?.version?.id && !x.keystone) resBody = `(version document: version ${doc.version.version}, min_version ${doc.version.min_version})`;
  } catch {
    // not JSON: shown as is
  }
  return `  ${x.method} ${x.url}${who} [${mv || 'no microversion header'}]${ua}${token}${reqBody}\n    → ${x.status} ${resBody}`;
}

/** Everything useful about a CLI run, for assertion messages. */
export function describeResult(r: CliResult): string {
  const outputTail = r.cloudOutput.split('\n').slice(-60).join('\n');
  return [
    `$ openstack ${r.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`,
    `exit code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' — TIMED OUT' : ''} after ${r.ms} ms`,
    '--- stderr ---',
    r.stderr.trimEnd() || '(empty)',
    '--- stdout ---',
    clip(r.stdout.trimEnd(), 4000) || '(empty)',
    `--- HTTP exchanges (${r.exchanges.length}) ---`,
    r.exchanges.map(describeExchange).join('\n') || '(none)',
    '--- nova output during the command ---',
    outputTail.trimEnd() || '(none)',
  ].join('\n');
}
