import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Invalid, NovaError, UnsupportedMediaType } from '../../common/errors';
import { sendUnrouted } from '../http/api-http';
import { renderFault } from './fault';

/**
 * The one place HTTP errors are rendered: NovaErrors as Nova's fault bodies, Nest's "no route"
 * as Nova's router answers it, and anything unexpected as a 500 that names only the error class
 * (the details and stack go to the log, with the request id).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  constructor(private readonly authUri?: string) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let err: unknown = exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) {
        sendUnrouted(req, reply);
        return;
      }
      err = status === 400 ? new Invalid(messageOf(exception)) : httpError(status, messageOf(exception));
    } else if (!(exception instanceof NovaError) && typeof (exception as { statusCode?: unknown }).statusCode === 'number') {
      // fastify's own errors (body too large, bad request line, ...).
      err = fastifyError(exception as Error & { statusCode: number });
    }
    if (!(err instanceof NovaError)) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.logger.error(`${req.novaRequestId ?? '-'} ${req.method} ${req.url}: ${e.name}: ${e.message}`, e.stack);
    }
    const f = renderFault(err, this.authUri);
    reply.code(f.status);
    for (const [k, v] of Object.entries(f.headers)) reply.header(k, v);
    reply.send(JSON.stringify(f.body));
  }
}

/** Errors Nest or fastify raise before our code runs (e.g. a body over the size limit). */
export function httpError(status: number, message: string): NovaError {
  if (status === 413) return Object.assign(new Invalid('Request is too large.'), { code: 413 });
  if (status === 414) return Object.assign(new Invalid('Request URI is too long.'), { code: 414 });
  if (status === 415) return new UnsupportedMediaType('Unsupported Content-Type');
  if (status >= 400 && status < 500) return Object.assign(new Invalid(message), { code: status });
  return Object.assign(new NovaError(message), { code: status });
}

function fastifyError(e: Error & { statusCode: number }): NovaError {
  if (e.statusCode === 400) return new Invalid('Malformed request body');
  return httpError(e.statusCode, e.message);
}

function messageOf(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : String(m ?? e.message);
}
