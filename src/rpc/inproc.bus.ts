/**
 * In-process transport: the bus for `--role=all` without `transport_url`. It mirrors the AMQP
 * topology and semantics so that dev behaves like prod:
 *
 * - every message is the same oslo 2.0 envelope serialized to a JSON string, parsed on receipt;
 * - queue `<topic>` is shared round-robin by the topic's servers, `<topic>.<server>` is one host's,
 *   each server also gets its own fanout queue, and each bus one reply queue;
 * - a message sent to a queue nobody consumes yet is held until a server consumes it (like a
 *   declared durable queue); call requests expire with the call's timeout;
 * - delivery is asynchronous (never inside the sender's stack); the handler's failure comes back
 *   as a remote error and is raised again with its class.
 *
 * One InProcessBroker per process, created by whoever composes the app (no module singleton).
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type {
  CallOptions,
  MessageBus,
  RpcDispatcher,
  RpcKind,
  RpcRequest,
  RpcServerHandle,
  RpcTarget,
  SendOptions,
} from './message-bus';
import {
  BusLogger,
  decodeReply,
  decodeRequest,
  describeCall,
  encodeReply,
  encodeRequest,
  IncomingRequest,
} from './envelope';
import { deserializeFailure, MessageDeliveryFailure, MessagingTimeout, serializeFailure } from './rpc-errors';

export const DEFAULT_RPC_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_DRAIN_MS = 10_000;

interface BrokerMessage {
  body: string;
  /** Epoch ms after which the message is dropped undelivered (call requests). */
  expiresAt?: number;
}

type Deliver = (message: BrokerMessage, queue: string) => void;

class BrokerQueue {
  readonly messages: BrokerMessage[] = [];
  readonly consumers: Deliver[] = [];
  next = 0;
  flushScheduled = false;
}

/** The in-memory broker: named queues plus one fanout "exchange" per topic. */
export class InProcessBroker {
  private readonly queues = new Map<string, BrokerQueue>();
  private readonly fanouts = new Map<string, Set<string>>();

  /** Creates the queue if needed (idempotent). */
  declareQueue(name: string): void {
    if (!this.queues.has(name)) this.queues.set(name, new BrokerQueue());
  }

  deleteQueue(name: string): void {
    this.queues.delete(name);
    for (const bound of this.fanouts.values()) bound.delete(name);
  }

  /** Queues a message; with `declare` false an unknown queue drops it (like the default exchange). */
  publish(queue: string, message: BrokerMessage, declare = true): boolean {
    if (declare) this.declareQueue(queue);
    const q = this.queues.get(queue);
    if (!q) return false;
    q.messages.push(message);
    this.scheduleFlush(queue, q);
    return true;
  }

  /** Copies the message into every queue bound to the topic's fanout; none bound = dropped. */
  publishFanout(topic: string, message: BrokerMessage): void {
    for (const queue of this.fanouts.get(topic) ?? []) this.publish(queue, { ...message }, false);
  }

  bindFanout(topic: string, queue: string): void {
    this.declareQueue(queue);
    let bound = this.fanouts.get(topic);
    if (!bound) this.fanouts.set(topic, (bound = new Set()));
    bound.add(queue);
  }

  /** Starts consuming; returns the cancel function. Held messages are delivered. */
  consume(queue: string, deliver: Deliver): () => void {
    this.declareQueue(queue);
    const q = this.queues.get(queue) as BrokerQueue;
    q.consumers.push(deliver);
    this.scheduleFlush(queue, q);
    return () => {
      const i = q.consumers.indexOf(deliver);
      if (i >= 0) q.consumers.splice(i, 1);
    };
  }

  /** Messages waiting in a queue (for tests and `nova-manage`-style introspection). */
  depth(queue: string): number {
    return this.queues.get(queue)?.messages.length ?? 0;
  }

  private scheduleFlush(name: string, q: BrokerQueue): void {
    if (q.flushScheduled) return;
    q.flushScheduled = true;
    setImmediate(() => {
      q.flushScheduled = false;
      const now = Date.now();
      while (q.messages.length > 0 && q.consumers.length > 0) {
        const message = q.messages.shift() as BrokerMessage;
        if (message.expiresAt !== undefined && message.expiresAt <= now) continue;
        const deliver = q.consumers[q.next % q.consumers.length];
        q.next = (q.next + 1) % q.consumers.length;
        deliver(message, name);
      }
    });
  }
}

export interface InProcessBusOptions {
  /** Default call timeout (`[DEFAULT] rpc_response_timeout`), ms. Default 60 000. */
  rpcResponseTimeoutMs?: number;
  logger?: BusLogger;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  label: string;
}

export class InProcessBus implements MessageBus {
  readonly transportName = 'inproc';
  private readonly replyQueue = `reply_${hex()}`;
  private readonly pending = new Map<string, PendingCall>();
  private readonly servers = new Set<InProcessServer>();
  private readonly timeoutMs: number;
  private readonly logger: BusLogger;
  private readonly cancelReplies: () => void;
  private closing?: Promise<void>;
  /** Set once the servers drained: handlers being drained may still call and cast. */
  private sendsClosed = false;

  constructor(
    private readonly broker: InProcessBroker,
    options: InProcessBusOptions = {},
  ) {
    this.timeoutMs = options.rpcResponseTimeoutMs ?? DEFAULT_RPC_RESPONSE_TIMEOUT_MS;
    this.logger = options.logger ?? new Logger('InProcessBus');
    this.cancelReplies = broker.consume(this.replyQueue, (m) => this.onReply(m.body));
  }

  call<T = unknown>(target: RpcTarget, method: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const label = describeCall(target.topic, method, target.server);
    if (this.sendsClosed) return Promise.reject(new MessageDeliveryFailure(`the RPC bus is closed; cannot call ${label}`));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const msgId = hex();
    let body: string;
    try {
      body = encodeRequest({
        method, args, version: target.version, namespace: target.namespace, context: options.context,
        uniqueId: hex(), msgId, replyQueue: this.replyQueue, callMonitorTimeoutSec: null,
      });
    } catch (err) {
      return Promise.reject(new MessageDeliveryFailure(`cannot serialize the arguments of ${label}: ${errorText(err)}`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(MessagingTimeout.forCall(target.topic, method, target.server, timeoutMs));
      }, timeoutMs);
      this.pending.set(msgId, { resolve: resolve as (v: unknown) => void, reject, timer, label });
      this.broker.publish(queueFor(target), { body, expiresAt: Date.now() + timeoutMs });
    });
  }

  async cast(target: RpcTarget, method: string, args: Record<string, unknown>, options: SendOptions = {}): Promise<void> {
    const body = this.encodeCast(describeCall(target.topic, method, target.server), method, args, target, options);
    this.broker.publish(queueFor(target), { body });
  }

  async fanoutCast(topic: string, method: string, args: Record<string, unknown>, options: SendOptions = {}): Promise<void> {
    const body = this.encodeCast(`${topic}.${method} (fanout)`, method, args, { topic }, options);
    this.broker.publishFanout(topic, { body });
  }

  async serve(topic: string, server: string, dispatch: RpcDispatcher): Promise<RpcServerHandle> {
    if (this.closing) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot serve ${topic}`);
    const srv = new InProcessServer(this.broker, topic, server, dispatch, this.logger, () => this.servers.delete(srv));
    this.servers.add(srv);
    srv.start();
    return srv;
  }

  close(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.servers].map((s) => s.stop(drainMs)));
      this.sendsClosed = true;
      for (const [msgId, call] of this.pending) {
        clearTimeout(call.timer);
        this.pending.delete(msgId);
        call.reject(new MessageDeliveryFailure(`the RPC bus was closed while waiting for a reply to ${call.label}`));
      }
      this.cancelReplies();
      this.broker.deleteQueue(this.replyQueue);
    })();
    return this.closing;
  }

  private encodeCast(label: string, method: string, args: Record<string, unknown>, target: RpcTarget, options: SendOptions): string {
    if (this.sendsClosed) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot send ${label}`);
    try {
      return encodeRequest({
        method, args, version: target.version, namespace: target.namespace, context: options.context, uniqueId: hex(),
      });
    } catch (err) {
      throw new MessageDeliveryFailure(`cannot serialize the arguments of ${label}: ${errorText(err)}`);
    }
  }

  private onReply(body: string): void {
    let reply;
    try {
      reply = decodeReply(body);
    } catch (err) {
      this.logger.warn(`dropping an undecodable RPC reply: ${errorText(err)}`);
      return;
    }
    if (!reply.ending) return; // call-monitor heartbeat
    const call = this.pending.get(reply.msgId);
    if (!call) return; // timed out already, or a duplicate
    this.pending.delete(reply.msgId);
    clearTimeout(call.timer);
    if (reply.failure !== null) call.reject(deserializeFailure(reply.failure));
    else call.resolve(reply.result);
  }
}

class InProcessServer implements RpcServerHandle {
  private readonly cancels: Array<() => void> = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly fanoutQueue: string;
  private stopping?: Promise<void>;

  constructor(
    private readonly broker: InProcessBroker,
    private readonly topic: string,
    private readonly server: string,
    private readonly dispatch: RpcDispatcher,
    private readonly logger: BusLogger,
    private readonly onStopped: () => void,
  ) {
    this.fanoutQueue = `${topic}_fanout_${hex()}`;
  }

  start(): void {
    this.broker.bindFanout(this.topic, this.fanoutQueue);
    this.cancels.push(
      this.broker.consume(this.topic, (m) => this.accept(m.body, 'cast')),
      this.broker.consume(`${this.topic}.${this.server}`, (m) => this.accept(m.body, 'cast', this.server)),
      this.broker.consume(this.fanoutQueue, (m) => this.accept(m.body, 'fanout')),
    );
  }

  stop(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.stopping ??= (async () => {
      for (const cancel of this.cancels) cancel();
      this.broker.deleteQueue(this.fanoutQueue);
      await waitAll(this.inflight, drainMs);
      if (this.inflight.size > 0) {
        this.logger.warn(`${this.topic} server: ${this.inflight.size} handler(s) still running after ${drainMs} ms; not waiting`);
      }
      this.onStopped();
    })();
    return this.stopping;
  }

  private accept(body: string, kind: RpcKind, server?: string): void {
    let incoming: IncomingRequest;
    try {
      incoming = decodeRequest(body);
    } catch (err) {
      this.logger.warn(`${this.topic} server: dropping an undecodable message: ${errorText(err)}`);
      return;
    }
    const p = this.handle(incoming, incoming.msgId ? 'call' : kind, server);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async handle(incoming: IncomingRequest, kind: RpcKind, server?: string): Promise<void> {
    const request: RpcRequest = {
      kind, topic: this.topic, server, namespace: incoming.namespace, version: incoming.version,
      method: incoming.method, args: incoming.args, context: incoming.context,
    };
    let result: unknown;
    let failure: unknown;
    let failed = false;
    try {
      result = await this.dispatch(request);
    } catch (err) {
      failed = true;
      failure = err;
    }
    if (!incoming.msgId || !incoming.replyQueue) {
      if (failed) this.logger.warn(`${kind} ${describeCall(this.topic, incoming.method)} failed: ${errorText(failure)}`);
      return;
    }
    let reply: string;
    try {
      reply = encodeReply({ msgId: incoming.msgId, uniqueId: hex(), result: failed ? null : result, failure: failed ? serializeFailure(failure) : null, ending: true });
    } catch (err) {
      reply = encodeReply({ msgId: incoming.msgId, uniqueId: hex(), result: null, failure: serializeFailure(new TypeError(`cannot serialize the result of ${incoming.method}: ${errorText(err)}`)), ending: true });
    }
    this.broker.publish(incoming.replyQueue, { body: reply }, false);
  }
}

function queueFor(target: RpcTarget): string {
  return target.server ? `${target.topic}.${target.server}` : target.topic;
}

/** uuid4 hex, as oslo uses for ids and queue names. */
function hex(): string {
  return randomUUID().replace(/-/g, '');
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Resolves when every promise of the (live) set settled, or after `ms`. */
async function waitAll(set: Set<Promise<void>>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (set.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...set]),
      new Promise<void>((r) => (timer = setTimeout(r, left))),
    ]);
    clearTimeout(timer);
  }
}
