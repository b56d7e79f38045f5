/**
 * Starts the built-in identity service of the api role (see `[identity] enabled`): its own
 * connection to the API database, the admin bootstrap from `[identity] bootstrap_admin_password`,
 * the HTTP server, and the catalog, whose compute and image URLs serve.ts fills in once those
 * listen.
 */
import type { LoggerService } from '@nestjs/common';
import type { NovaConf } from '../config/options';
import { openCheckedDatabase } from '../db/database.module';
import { IdentityRepository } from '../db/repositories/identity.repository';
import { ServiceUnavailable } from '../common/errors';
import { buildCatalog, CatalogUrls, serviceUrl } from './catalog';
import { IdentityApiServer } from './identity-api.server';
import { notifyRevoked, setBuiltInIdentityUrl } from './built-in-identity';
import { bootstrapIdentity, TokenService } from './token.service';

export interface RunningIdentityService {
  port: number;
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  /** Sets the compute and image URLs of the catalog. */
  setCatalog(urls: Omit<CatalogUrls, 'identity'>): void;
  close(): Promise<void>;
}

/** Whether another Keystone is configured for token validation. */
export function externalKeystoneConfigured(conf: NovaConf): boolean {
  return Boolean(conf.keystone_authtoken.auth_url || conf.keystone_authtoken.www_authenticate_uri);
}

/** Whether the api role should serve the built-in identity service (`[identity] enabled`). */
export function builtInIdentityWanted(conf: NovaConf): boolean {
  const e = conf.identity.enabled;
  if (e === 'true') return true;
  if (e === 'false') return false;
  return conf.api.auth_strategy === 'keystone' && !externalKeystoneConfigured(conf);
}

export async function startIdentityService(conf: NovaConf, deps: { logger?: LoggerService }): Promise<RunningIdentityService> {
  const ds = await openCheckedDatabase('api', conf);
  try {
    const repo = new IdentityRepository(ds);
    const s = conf.identity;
    if (s.bootstrap_admin_password !== undefined) {
      const r = await bootstrapIdentity(repo, { username: s.bootstrap_username, password: s.bootstrap_admin_password, projectName: s.bootstrap_project_name });
      if (r.created.length) deps.logger?.log(`bootstrap: created ${r.created.join(', ')}`, 'identity');
    }
    if ((await repo.listUsers()).length === 0) {
      deps.logger?.warn("the built-in identity service has no users yet: set [identity] bootstrap_admin_password or run 'nova identity bootstrap --password ...'", 'identity');
    }
    let urls: CatalogUrls = { identity: '' };
    const tokens = new TokenService(repo, {
      expiration: conf.token.expiration,
      catalog: () => buildCatalog(urls, s.region_id),
      logger: deps.logger,
    });
    const server = new IdentityApiServer({ host: s.listen, port: s.listen_port, repo, tokens, logger: deps.logger, onRevoke: notifyRevoked });
    let port: number;
    try {
      ({ port } = await server.start((p) => serviceUrl(s.listen, p, '', s.endpoint_host)));
    } catch (err) {
      throw new ServiceUnavailable(`the built-in identity service cannot listen on ${s.listen}:${s.listen_port}: ${(err as Error).message}`);
    }
    const url = serviceUrl(s.listen, port, '', s.endpoint_host);
    urls = { identity: `${url}/v3` };
    setBuiltInIdentityUrl(url);
    deps.logger?.log(`built-in identity service listening on ${s.listen}:${port} (${url}/v3)`, 'identity');
    return {
      port,
      url,
      setCatalog: (more) => {
        urls = { ...more, identity: `${url}/v3` };
      },
      close: async () => {
        setBuiltInIdentityUrl(null);
        await server.close().catch(() => undefined);
        await ds.destroy().catch(() => undefined);
      },
    };
  } catch (err) {
    await ds.destroy().catch(() => undefined);
    throw err;
  }
}

/** The catalog's compute and image URLs: the API's real port, and `[glance] api_servers` or the built-in image service. */
export function catalogUrls(conf: NovaConf, apiAddress: unknown, builtInImagePort: number | null): Omit<CatalogUrls, 'identity'> {
  const host = conf.identity.endpoint_host;
  const apiPort = typeof apiAddress === 'object' && apiAddress !== null && 'port' in apiAddress ? Number((apiAddress as { port: unknown }).port) : conf.DEFAULT.osapi_compute_listen_port;
  const compute = serviceUrl(conf.DEFAULT.osapi_compute_listen, apiPort, '/v2.1', host);
  const glance = conf.glance.api_servers ?? [];
  const image = glance.length > 0 ? glance[0].replace(/\/+$/, '') : builtInImagePort !== null ? serviceUrl(conf.image_service.listen, builtInImagePort, '', host) : undefined;
  return { compute, image };
}
