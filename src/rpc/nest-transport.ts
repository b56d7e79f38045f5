/**
 * The Nest face of the bus.
 *
 * Server side: handlers are `@MessagePattern({ topic, method, namespace? })` (or the RpcMethod
 * sugar) and `@EventPattern` with the same object; BusTransportStrategy serves every topic that
 * has handlers as `bus.serve(topic, host)`. A handler gets the args object as its payload and a
 * BusContext via `@Ctx()`. Unknown methods fail with NoSuchMethod.
 *
 * Errors: Nest's default RPC exception filter replaces any error that is not an RpcException by
 * "Internal server error". RpcMethod therefore applies BusExceptionFilter, which lets the error
 * through so that the caller gets it with its class; plain @MessagePattern handlers need it too
 * (`app.useGlobalFilters(new BusExceptionFilter())`).
 *
 * Client side: BusClientProxy (`send` = call, `emit` = cast) for Nest-style callers.
 */
import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, ClientProxy, CustomTransportStrategy, MessageHandler, MsObjectPattern, ReadPacket, Server, WritePacket } from '@nestjs/microservices';
import { lastValueFrom, Observable, throwError } from 'rxjs';
import { Invalid } from '../common/errors';
import type { MessageBus, RpcContext, RpcRequest, RpcServerHandle, RpcTarget } from './message-bus';
import { NoSuchMethod } from './rpc-errors';

/** The pattern object of a bus handler. */
export interface BusPattern {
  topic: string;
  method: string;
  namespace?: string;
}

/** What `@Ctx()` gives a bus handler. */
export class BusContext extends BaseRpcContext<[RpcRequest]> {
  constructor(request: RpcRequest) {
    super([request]);
  }

  /** The whole request: kind, topic, server, namespace, version, method, args, context. */
  getRequest(): RpcRequest {
    return this.args[0];
  }

  /** The caller's request context (`_context_*` on the wire). */
  getRpcContext(): RpcContext {
    return this.args[0].context;
  }
}

/** Lets a handler's error reach the bus untouched (see the file comment). */
@Catch()
export class BusExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/** Parses a normalized Nest pattern key back into a BusPattern (null if it is not one). */
export function parseBusPattern(key: string): BusPattern | null {
  let value: unknown;
  try {
    value = JSON.parse(key);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { topic, method, namespace } = value as Record<string, unknown>;
  if (typeof topic !== 'string' || typeof method !== 'string' || topic === '' || method === '') return null;
  if (namespace !== undefined && typeof namespace !== 'string') return null;
  return namespace ? { topic, method, namespace } : { topic, method };
}

export interface BusTransportOptions {
  /** How long close() lets handlers in flight finish; default 10 000 ms. */
  drainMs?: number;
}

export class BusTransportStrategy extends Server implements CustomTransportStrategy {
  private handles: RpcServerHandle[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly host: string,
    private readonly options: BusTransportOptions = {},
  ) {
    super();
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      const topics = new Set<string>();
      for (const key of this.messageHandlers.keys()) {
        const pattern = parseBusPattern(key);
        if (pattern) topics.add(pattern.topic);
        else this.logger.warn(`ignoring handler pattern ${key}: expected {topic, method, namespace?}`);
      }
      for (const topic of [...topics].sort()) {
        this.handles.push(await this.bus.serve(topic, this.host, (request) => this.dispatch(request)));
      }
      this._status$.next('connected');
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Stops serving (handlers in flight may finish); the bus itself belongs to whoever created it. */
  async close(): Promise<void> {
    const handles = this.handles;
    this.handles = [];
    await Promise.all(handles.map((h) => h.stop(this.options.drainMs)));
    this._status$.next('disconnected');
  }

  on(): void {
    // The bus reports its own connection state; no transport events are exposed here.
  }

  unwrap<T>(): T {
    return this.bus as unknown as T;
  }

  /** Topics with at least one handler (what listen() serves). */
  servedTopics(): string[] {
    return [...new Set([...this.messageHandlers.keys()].map((k) => parseBusPattern(k)?.topic).filter((t): t is string => !!t))].sort();
  }

  private async dispatch(request: RpcRequest): Promise<unknown> {
    const pattern: MsObjectPattern = request.namespace
      ? { topic: request.topic, method: request.method, namespace: request.namespace }
      : { topic: request.topic, method: request.method };
    const handler = this.messageHandlers.get(this.normalizePattern(pattern));
    if (!handler) throw NoSuchMethod.forMethod(request.method, request.namespace);
    const ctx = new BusContext(request);
    try {
      if (!handler.isEventHandler) return await this.settle(handler, request.args, ctx);
      for (let h: MessageHandler | undefined = handler; h; h = h.next as MessageHandler | undefined) {
        await this.settle(h, request.args, ctx);
      }
      return null;
    } catch (err) {
      throw fromNestError(err);
    }
  }

  private async settle(handler: MessageHandler, data: unknown, ctx: BusContext): Promise<unknown> {
    return lastValueFrom(this.transformToObservable(await handler(data, ctx)), { defaultValue: null });
  }
}

/** Nest's default filter turns errors into `{status: 'error', message}`: make that an Error again. */
function fromNestError(err: unknown): unknown {
  if (err instanceof Error || typeof err !== 'object' || err === null) return err;
  const { status, message } = err as { status?: unknown; message?: unknown };
  if (status === 'error' && typeof message === 'string') return new Error(message);
  return err;
}

/** Pattern for BusClientProxy: the target, plus per-message options. */
export interface BusClientPattern extends BusPattern {
  server?: string;
  version?: string;
  timeoutMs?: number;
  context?: RpcContext;
}

/** `client.send(pattern, args)` = bus.call, `client.emit(pattern, args)` = bus.cast. */
export class BusClientProxy extends ClientProxy {
  constructor(private readonly bus: MessageBus) {
    super();
  }

  async connect(): Promise<MessageBus> {
    return this.bus;
  }

  /** The bus belongs to whoever created it: nothing to close here. */
  async close(): Promise<void> {}

  unwrap<T>(): T {
    return this.bus as unknown as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let target: RpcTarget;
    let pattern: BusClientPattern;
    try {
      pattern = toClientPattern(packet.pattern);
      target = toTarget(pattern);
    } catch (err) {
      callback({ err });
      return () => undefined;
    }
    this.bus
      .call(target, pattern.method, toArgs(packet.data), { timeoutMs: pattern.timeoutMs, context: pattern.context })
      .then(
        (response) => callback({ response, isDisposed: true }),
        (err: unknown) => callback({ err }),
      );
    return () => undefined;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const pattern = toClientPattern(packet.pattern);
    await this.bus.cast(toTarget(pattern), pattern.method, toArgs(packet.data), { context: pattern.context });
    return undefined as T;
  }
}

function toClientPattern(value: unknown): BusClientPattern {
  const p = value as Partial<BusClientPattern> | null;
  if (typeof p !== 'object' || p === null || typeof p.topic !== 'string' || typeof p.method !== 'string') {
    throw new Invalid('a bus pattern is an object {topic, method, namespace?, server?, version?, timeoutMs?, context?}');
  }
  return p as BusClientPattern;
}

function toTarget(p: BusClientPattern): RpcTarget {
  return { topic: p.topic, server: p.server, namespace: p.namespace, version: p.version };
}

function toArgs(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Invalid('bus arguments must be an object');
  return data as Record<string, unknown>;
}
