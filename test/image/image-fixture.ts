/** A built-in image service on a real test database (SQLite file or MariaDB), on a free port. */
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseConfigText } from '../../src/config/config-loader';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { openDataSource } from '../../src/db/data-source';
import { syncSchema } from '../../src/db/schema';
import { RunningImageService, startImageService } from '../../src/image/image-service';
import { createTestDatabases, Engine, TestDatabases } from '../utils/databases';

/** A parsed response body. */
export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ImageFixture {
  url: string;
  imageDir: string;
  dbs: TestDatabases;
  ds: DataSource;
  svc: RunningImageService;
  /** fetch with X-Auth-Token (default admin:admin) and Accept: application/json. */
  req(method: string, path: string, o?: { token?: string | null; json?: unknown; body?: string | Uint8Array; type?: string; accept?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startImageFixture(engine: Engine): Promise<ImageFixture> {
  const dbs = await createTestDatabases(engine);
  const imageDir = join(dbs.statePath, 'images');
  const { conf } = parseConfigText([
    '[DEFAULT]', `state_path = ${dbs.statePath}`,
    '[api]', 'auth_strategy = noauth2',
    '[api_database]', `connection = ${dbs.api}`,
    '[image_service]', 'listen = 127.0.0.1', 'listen_port = 0',
  ].join('\n'));
  const ds = await openDataSource('api', parseConnectionUrl(dbs.api));
  await syncSchema(ds);
  const svc = await startImageService(conf, { apiDb: ds });
  const url = `http://127.0.0.1:${svc.port}`;
  return {
    url, imageDir, dbs, ds, svc,
    req: (method, path, o = {}) => {
      const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
      const token = o.token === undefined ? 'admin:admin' : o.token;
      if (token !== null) headers['X-Auth-Token'] = token;
      let body = o.body;
      if (o.json !== undefined) {
        body = JSON.stringify(o.json);
        headers['Content-Type'] = o.type ?? 'application/json';
      } else if (o.type) headers['Content-Type'] = o.type;
      return fetch(url + path, { method, headers, body });
    },
    stop: async () => {
      await svc.close();
      await ds.destroy();
      await dbs.drop();
    },
  };
}
