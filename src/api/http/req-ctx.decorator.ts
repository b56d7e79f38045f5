import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Unauthorized } from '../../common/errors';
import type { RequestContext } from './request-context';

/** Injects the request's RequestContext (set by the API hooks once the caller is authenticated). */
export const ReqCtx = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!req.nova) throw new Unauthorized('The request you have made requires authentication.');
  return req.nova;
});

/** The raw query string parameters, each as a list (Nova reads repeated parameters). */
export const QueryParams = createParamDecorator((_data: unknown, ctx: ExecutionContext): Record<string, string[]> => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const out: Record<string, string[]> = {};
  const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  for (const [k, v] of new URLSearchParams(qs)) (out[k] ??= []).push(v);
  return out;
});
