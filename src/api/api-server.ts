import { DynamicModule, LoggerService } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Invalid, ServiceUnavailable } from '../common/errors';
import type { NovaConf } from '../config/options';
import type { BusTransportStrategy } from '../rpc/nest-transport';
import { AUTH_STRATEGY } from './auth/auth-strategy.provider';
import type { AuthStrategy } from './auth/identity';
import { ApiExceptionFilter, httpError } from './errors/api-exception.filter';
import { renderFault } from './errors/fault';
import { DefaultStatusInterceptor } from './http/default-status.interceptor';
import { installApiHooks, rewriteProjectUrl } from './http/api-http';
import { PolicyService } from './policy/policy.service';
import { announcedIdentityUri } from '../identity/built-in-identity';

/**
 * Starts the process as an HTTP application (the `api` role) that also serves its RPC topics:
 * fastify on `osapi_compute_listen:osapi_compute_listen_port`, Nova's HTTP edge installed as
 * hooks, every controller behind one exception filter.
 */
export async function startApiServer(module: DynamicModule, strategy: BusTransportStrategy, conf: NovaConf, logger: LoggerService): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    rewriteUrl: rewriteProjectUrl,
    bodyLimit: 1024 * 1024,
    // Nova has no limit of its own on path segments (keypair names are up to 255 characters).
    routerOptions: { maxParamLength: 4096 },
    logger: false,
    // Router-level failures (bad percent-encoding, ...) answer in Nova's format too.
    frameworkErrors: (err: Error, _req: unknown, reply: FastifyReply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const f = renderFault(status === 400 ? new Invalid('Malformed request URL') : httpError(status, err.message));
      void reply.code(f.status).headers(f.headers).send(JSON.stringify(f.body));
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger, abortOnError: false, bodyParser: false });
  const policy = app.get(PolicyService);
  const auth = app.get<AuthStrategy>(AUTH_STRATEGY);
  // 401s name the identity service, as the image service's do: www_authenticate_uri, else the
  // Keystone tokens are checked against, else the built-in one (started before this).
  const authUri = announcedIdentityUri(conf);
  installApiHooks(app.getHttpAdapter().getInstance(), {
    auth,
    isAdmin: (roles, userId, projectId) => policy.isAdmin(roles, userId, projectId),
    authUri,
  });
  app.useGlobalFilters(new ApiExceptionFilter(authUri));
  app.useGlobalInterceptors(new DefaultStatusInterceptor(app.get(Reflector)));
  app.connectMicroservice({ strategy }, { inheritAppConfig: false });
  await app.startAllMicroservices();
  const host = conf.DEFAULT.osapi_compute_listen;
  const port = conf.DEFAULT.osapi_compute_listen_port;
  try {
    await app.listen(port, host);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new ServiceUnavailable(`nova-api cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const address = app.getHttpServer().address();
  const actual = typeof address === 'object' && address ? address.port : port;
  logger.log(`Compute API listening on http://${host}:${actual}/ (auth: ${auth.name}, policy: ${policy.source})`, 'api');
  return app;
}
