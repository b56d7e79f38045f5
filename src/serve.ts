import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { ConfigError } from './common/errors';
import { NovaLogger } from './common/logger';
import type { NovaConf } from './config/options';
import { missingInProcessPeers, Role, ROLE_SPECS } from './roles';
import { busOptionsFromConf } from './rpc/bus-config';
import { createBus } from './rpc/bus-factory';
import { BusTransportStrategy } from './rpc/nest-transport';
import { HeartbeatService } from './servicegroup/heartbeat.service';
import { ResourceTracker } from './compute/resource-tracker';
import { ComputeReconciler } from './compute/compute-reconciler';

import { VERSION } from './common/version';
import { API_DB } from './common/tokens';

/**
 * Runs the given roles until SIGTERM/SIGINT. Shutdown order: stop heartbeats, stop taking RPC
 * work and let handlers in flight finish (bounded by graceful_shutdown_timeout), close the bus,
 * then let Nest close the databases.
 */
export async function serve(conf: NovaConf, roles: Role[], warnings: string[]): Promise<void> {
  const host = conf.DEFAULT.host;
  const busOptions = busOptionsFromConf(conf);
  if (!busOptions.transportUrl) {
    const missing = missingInProcessPeers(roles);
    if (missing) throw new ConfigError([missing]);
  }
  const programName = roles.length === 1 ? ROLE_SPECS[roles[0]].binary : 'nova';
  const logger = new NovaLogger({ debug: conf.DEFAULT.debug, logFile: conf.DEFAULT.log_file, logDir: conf.DEFAULT.log_dir, programName });
  for (const w of warnings) logger.warn(w, 'config');

  const bus = await createBus(busOptions);
  let app: INestApplicationContext & { close(): Promise<void> };
  let images: { close(): Promise<void> } | undefined;
  let identity: import('./identity/identity-service').RunningIdentityService | undefined;
  let proxy: { close(): Promise<void> } | undefined;
  try {
    const module = AppModule.forRoles(conf, { roles, host }, bus);
    const strategy = new BusTransportStrategy(bus, host);
    if (roles.includes('api')) {
      // The built-in identity service (a Keystone v3 subset) starts first: the API's token checks use it.
      const identityService = await import('./identity/identity-service');
      if (identityService.builtInIdentityWanted(conf)) identity = await identityService.startIdentityService(conf, { logger });
      const { startApiServer } = await import('./api/api-server');
      const api = await startApiServer(module, strategy, conf, logger);
      app = api;
      // The zero-setup image service (a Glance v2 subset) when no Glance is configured.
      const { builtInImageServiceWanted, startImageService } = await import('./image/image-service');
      let imagePort: number | null = null;
      if (builtInImageServiceWanted(conf)) {
        const started = await startImageService(conf, { apiDb: app.get(API_DB), logger });
        images = started;
        imagePort = started.port;
        const { imageEndpoint, setBuiltInImageEndpoint } = await import('./image/glance-client');
        setBuiltInImageEndpoint(imageEndpoint({ ...conf, image_service: { ...conf.image_service, listen_port: started.port } }));
      }
      identity?.setCatalog(identityService.catalogUrls(conf, api.getHttpServer().address(), imagePort));
    } else {
      const micro = await NestFactory.createMicroservice(module, { strategy, logger, abortOnError: false });
      await micro.listen();
      app = micro;
    }
    if (roles.includes('novncproxy')) proxy = await startProxy(conf, bus, logger, roles.length === 1);
  } catch (err) {
    await identity?.close();
    await bus.close(0).catch(() => undefined);
    throw err;
  }
  const heartbeat = app.get(HeartbeatService);
  logger.log(`nova-ts ${VERSION} running ${roles.join(', ')} on host ${host} (bus: ${bus.transportName}, pid ${process.pid})`, 'service');
  void heartbeat.start();
  const tracker = roles.includes('compute') ? app.get(ResourceTracker) : undefined;
  const reconciler = roles.includes('compute') ? app.get(ComputeReconciler) : undefined;
  // A compute whose hypervisor refuses it (unreachable host, wrong host key) cannot serve: like
  // nova-compute failing init_host, the process stops cleanly with the reason and exit status 1.
  let fatal: ((reason: string) => void) | undefined;
  void tracker
    ?.start()
    .then(() => reconciler?.start())
    .catch((err: unknown) => {
      const reason = err instanceof Error ? err.message : String(err);
      logger.error(`nova-compute cannot start: ${reason}`, 'service');
      process.exitCode = 1;
      fatal?.('compute driver failure');
    });

  const graceMs = conf.DEFAULT.graceful_shutdown_timeout * 1000;
  // With the in-process bus and SQLite nothing else holds the event loop open.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn(`${signal} again: exiting now`, 'service');
        process.exit(1);
      }
      stopping = true;
      logger.log(`${signal} received: finishing work in flight (up to ${conf.DEFAULT.graceful_shutdown_timeout}s), then exiting`, 'service');
      const hardStop = setTimeout(() => {
        logger.error('graceful shutdown took too long: exiting', 'service');
        process.exit(1);
      }, graceMs + 5_000);
      hardStop.unref();
      heartbeat.stop();
      tracker?.stop();
      reconciler?.stop();
      clearInterval(keepAlive);
      Promise.resolve(proxy?.close())
        .catch((e: unknown) => logger.warn(`closing the console proxy: ${String(e)}`, 'service'))
        .then(() => bus.close(graceMs))
        .catch((e: unknown) => logger.warn(`closing the bus: ${String(e)}`, 'service'))
        .then(() => images?.close())
        .then(() => identity?.close())
        .then(() => app.close())
        .catch((e: unknown) => logger.warn(`closing: ${String(e)}`, 'service'))
        .finally(() => {
          logger.log('stopped', 'service');
          resolve();
        });
    };
    fatal = (reason) => stop(reason);
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * The novncproxy role's HTTP/WebSocket server; it checks tokens with consoleauth over the bus. A
 * proxy that cannot listen stops a process that runs only that role; in an all-in-one process it
 * is logged and the other roles keep running.
 */
async function startProxy(conf: NovaConf, bus: import('./rpc/message-bus').MessageBus, logger: NovaLogger, alone: boolean): Promise<{ close(): Promise<void> } | undefined> {
  const { startNovncProxyFromConf } = await import('./novncproxy/novncproxy.server');
  const { ConsoleAuthRpcClient } = await import('./consoleauth/consoleauth.rpc-client');
  try {
    return await startNovncProxyFromConf(conf, new ConsoleAuthRpcClient(bus), logger);
  } catch (err) {
    const reason = `the noVNC proxy cannot listen on ${conf.vnc.novncproxy_host}:${conf.vnc.novncproxy_port}: ${err instanceof Error ? err.message : String(err)}`;
    if (alone) throw new ConfigError([reason]);
    logger.error(`${reason}; consoles are unavailable from this process`, 'service');
    return undefined;
  }
}
