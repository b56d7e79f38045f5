import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';

/**
 * Nova answers 200 unless a handler says otherwise; Nest's default for POST is 201. Handlers that
 * need another code use @HttpCode (or set it on the reply, as keypair create does per version).
 */
@Injectable()
export class DefaultStatusInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      const req = http.getRequest<FastifyRequest>();
      if (req.method === 'POST' && this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) === undefined) {
        http.getResponse<FastifyReply>().code(200);
      }
    }
    return next.handle();
  }
}
