/**
 * Starts the built-in image service of the api role (used when `[glance] api_servers` is unset).
 */
import type { LoggerService } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createAuthStrategy } from '../api/auth/auth-strategy.provider';
import { announcedIdentityUri } from '../identity/built-in-identity';
import type { NovaConf } from '../config/options';
import { ImageRepository } from '../db/repositories/image.repository';
import { ImageApiServer } from './image-api.server';
import { ImageStore } from './image-store';

export interface ImageServiceDeps {
  /** The API database (`[api_database]`), schema current. */
  apiDb: DataSource;
  logger?: LoggerService;
}

export interface RunningImageService {
  port: number;
  close(): Promise<void>;
}

/** Whether the api role should serve images itself. */
export function builtInImageServiceWanted(conf: NovaConf): boolean {
  return (conf.glance.api_servers ?? []).length === 0;
}

export async function startImageService(conf: NovaConf, deps: ImageServiceDeps): Promise<RunningImageService> {
  const server = new ImageApiServer({
    host: conf.image_service.listen,
    port: conf.image_service.listen_port,
    repo: new ImageRepository(deps.apiDb),
    store: new ImageStore(conf.image_service.image_dir),
    auth: createAuthStrategy(conf),
    logger: deps.logger,
    authUri: () => announcedIdentityUri(conf),
  });
  const { port } = await server.start();
  deps.logger?.log(`built-in image service listening on ${conf.image_service.listen}:${port}`, 'image');
  return { port, close: () => server.close() };
}
