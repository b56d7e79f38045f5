/**
 * The real Keystone and Glance that scripts/openstack-services-setup.sh runs on loopback (Debian's
 * packages, SQLite). Tests read its openstack.env: $NOVA_TS_OPENSTACK_ENV, else
 * /var/lib/nova-ts-openstack/openstack.env. Also: a nova-ts cloud configured against them, a
 * little Keystone v3 client, and the stock CLI driven by a sourced openrc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Cloud, cloudConfLines } from './cloud';
import { createTestDatabases, Engine } from './databases';
import { NovaProcess, runNova, writeConf } from './nova-process';
import { OPENSTACK_BIN } from './openstack-cli';

export interface OpenStackServices {
  /** The setup script's directory (Glance's file store is under glance-data/images). */
  dir: string;
  /** Keystone's public v3 URL, e.g. http://127.0.0.1:35357/v3 */
  authUrl: string;
  /** Glance's URL (no /v2). */
  glanceUrl: string;
  region: string;
  admin: { user: string; project: string; password: string };
  /** nova's service user (admin in the service project). */
  nova: { user: string; project: string; password: string };
  /** A member of another project. */
  demo: { user: string; project: string; password: string };
  keystoneLog: string;
  glanceLog: string;
}

export function openStackEnvPath(): string {
  return process.env.NOVA_TS_OPENSTACK_ENV ?? '/var/lib/nova-ts-openstack/openstack.env';
}

/**
 * The services, or a sentence saying why they are not there (for `skip`). Throws when
 * NOVA_TS_REQUIRE_OPENSTACK_SERVICES=1 (CI), also when the file is there but Keystone or Glance
 * do not answer. Synchronous (curl), so that describe() can decide to skip.
 */
export function loadOpenStackServices(): OpenStackServices | string {
  const required = process.env.NOVA_TS_REQUIRE_OPENSTACK_SERVICES === '1';
  const missing = (why: string): string => {
    if (required) throw new Error(`${why} (NOVA_TS_REQUIRE_OPENSTACK_SERVICES=1)`);
    return why;
  };
  const path = openStackEnvPath();
  if (!existsSync(path)) return missing(`real Keystone and Glance not set up: ${path} is absent (run scripts/openstack-services-setup.sh as root)`);
  const raw: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) raw[m[1]!] = m[2]!;
  }
  const get = (k: string): string => {
    const v = raw[`NOVA_TS_OS_${k}`];
    if (v === undefined) throw new Error(`${path}: NOVA_TS_OS_${k} missing (re-run scripts/openstack-services-setup.sh)`);
    return v;
  };
  const svc: OpenStackServices = {
    dir: get('DIR'), authUrl: get('AUTH_URL'), glanceUrl: get('GLANCE_URL'), region: get('REGION'),
    admin: { user: get('ADMIN_USER'), project: get('ADMIN_PROJECT'), password: get('ADMIN_PASSWORD') },
    nova: { user: get('NOVA_USER'), project: get('SERVICE_PROJECT'), password: get('NOVA_PASSWORD') },
    demo: { user: get('DEMO_USER'), project: get('DEMO_PROJECT'), password: get('DEMO_PASSWORD') },
    keystoneLog: get('KEYSTONE_LOG'), glanceLog: get('GLANCE_LOG'),
  };
  for (const url of [svc.authUrl, `${svc.glanceUrl}/healthcheck`]) {
    const r = spawnSync('curl', ['-fsS', '-o', '/dev/null', '--max-time', '10', '--', url], { encoding: 'utf8', timeout: 15_000 });
    if (r.status !== 0) return missing(`${url} does not answer (${(r.stderr ?? '').trim() || r.error?.message}): start the services with scripts/openstack-services-setup.sh`);
  }
  return svc;
}

/** A token of `who` scoped to its project (POST /v3/auth/tokens). */
export async function keystoneToken(svc: OpenStackServices, who: { user: string; project: string; password: string }): Promise<string> {
  const r = await fetch(`${svc.authUrl}/auth/tokens?nocatalog=1`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name: who.user, domain: { id: 'default' }, password: who.password } } },
      scope: { project: { name: who.project, domain: { id: 'default' } } },
    } }),
  });
  const id = r.headers.get('x-subject-token');
  if (r.status !== 201 || !id) throw new Error(`keystone token for ${who.user}: ${r.status} ${await r.text()}`);
  return id;
}

/** One Keystone v3 call as `token`; the parsed body (or null). Throws on an unexpected status. */
export async function keystoneCall(svc: OpenStackServices, token: string, method: string, path: string, body?: unknown, expect = [200, 201, 204]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(`${svc.authUrl}${path}`, {
    method, headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!expect.includes(r.status)) throw new Error(`keystone ${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Makes `url` the only public compute endpoint of the catalog (the service is created when
 * missing); returns the endpoint's id for `removeEndpoint`.
 */
export async function registerComputeEndpoint(svc: OpenStackServices, adminToken: string, url: string): Promise<string> {
  const services = (await keystoneCall(svc, adminToken, 'GET', '/services?type=compute')).services as Array<{ id: string }>;
  const serviceId = services[0]?.id ?? (await keystoneCall(svc, adminToken, 'POST', '/services', { service: { type: 'compute', name: 'nova', enabled: true } })).service.id;
  const endpoints = (await keystoneCall(svc, adminToken, 'GET', `/endpoints?service_id=${serviceId}`)).endpoints as Array<{ id: string }>;
  for (const e of endpoints) await keystoneCall(svc, adminToken, 'DELETE', `/endpoints/${e.id}`, undefined, [204, 404]);
  const created = await keystoneCall(svc, adminToken, 'POST', '/endpoints', { endpoint: { service_id: serviceId, interface: 'public', region_id: svc.region, url, enabled: true } });
  return created.endpoint.id as string;
}

export async function removeEndpoint(svc: OpenStackServices, adminToken: string, id: string): Promise<void> {
  await keystoneCall(svc, adminToken, 'DELETE', `/endpoints/${id}`, undefined, [204, 404]);
}

/**
 * `nova --role=all` (fake driver) with `[api] auth_strategy = keystone` validating tokens against
 * the real Keystone with nova's service user, `[glance] api_servers` at the real Glance, and
 * neither built-in service. `extraConf` is appended (later lines win).
 */
export async function startCloudAgainst(svc: OpenStackServices, engine: Engine, extraConf: string[] = []): Promise<Cloud> {
  const dbs = await createTestDatabases(engine);
  const lines = cloudConfLines(engine, dbs, 'nova_real_ks', ['report_interval = 2']);
  lines.push(
    '[api]', 'auth_strategy = keystone',
    '[keystone_authtoken]', `www_authenticate_uri = ${svc.authUrl}`, `auth_url = ${svc.authUrl}`, 'auth_type = password',
    `username = ${svc.nova.user}`, `password = ${svc.nova.password}`, `project_name = ${svc.nova.project}`,
    'user_domain_name = Default', 'project_domain_name = Default',
    '[glance]', `api_servers = ${svc.glanceUrl}`,
    '[identity]', 'enabled = false',
    ...extraConf,
  );
  const conf = writeConf(dbs.statePath, 'nova.conf', mergeIni(lines).join('\n') + '\n');
  const sync = runNova(['db', 'sync', '--config-file', conf]);
  if (sync.code !== 0) throw new Error(`db sync failed: ${sync.stderr}`);
  const proc = new NovaProcess(['--role=all', '--config-file', conf, '--host', 'functest']);
  const listening = /Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//;
  await proc.waitForOutput(listening, 60_000);
  const port = listening.exec(proc.output)![1];
  return new Cloud(`http://127.0.0.1:${port}`, conf, proc, dbs, svc.glanceUrl);
}

/** INI lines with each section once: sections in first-seen order, a later `key = value` wins. */
export function mergeIni(lines: string[]): string[] {
  const sections = new Map<string, Map<string, string>>();
  let current = 'DEFAULT';
  for (const line of lines) {
    const header = /^\[([^\]]+)\]$/.exec(line.trim());
    if (header) {
      current = header[1]!;
      if (!sections.has(current)) sections.set(current, new Map());
      continue;
    }
    const kv = /^([^=#;]+?)\s*=\s*(.*)$/.exec(line.trim());
    if (!kv) continue;
    if (!sections.has(current)) sections.set(current, new Map());
    sections.get(current)!.set(kv[1]!, kv[2]!);
  }
  const out: string[] = [];
  for (const [name, keys] of sections) {
    out.push(`[${name}]`);
    for (const [k, v] of keys) out.push(`${k} = ${v}`);
  }
  return out;
}

export interface OpenrcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** `. ./<openrc> && openstack ARGS [-f json]` in `dir`, with a clean environment and a timeout. */
export function openstackWithOpenrc(dir: string, openrc: string, args: string[], json = true, timeoutMs = 180_000): Promise<OpenrcResult> {
  return new Promise((resolve) => {
    const argv = json ? [...args, '-f', 'json'] : args;
    const child = spawn('bash', ['-c', `. "./$0" && exec "${OPENSTACK_BIN}" "$@"`, openrc, ...argv], {
      cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let parsed: unknown;
      try {
        parsed = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ code, stdout, stderr, json: parsed });
    });
  });
}
