/**
 * AMQP transport on rabbitmq-client with Nova's topology (reference/nova-api.md §7.5):
 *
 * - topic exchange `control_exchange` (`nova`), durable per `amqp_durable_queues` (true here);
 * - per server: queue `<topic>` (shared, round-robin) and `<topic>.<host>`, both bound to it with
 *   their own name as routing key and durable as above; fanout exchange `<topic>_fanout` (auto-delete)
 *   with a per-server queue `<topic>_fanout_<uuid hex>` (x-expires = rabbit_transient_queues_ttl);
 * - one reply queue per process `reply_<uuid hex>` (x-expires), replies go to the default exchange;
 * - requests are persistent (delivery_mode 2), application/json + utf-8; calls carry `expiration`.
 *
 * Delivery semantics (see also message-bus.ts):
 * - Publisher confirms: `cast`/`fanoutCast` resolve only once the broker confirmed the message.
 *   While the broker is unreachable a send waits for the reconnect for at most `sendRetryMs`
 *   (default 5 s) and is re-published with the same `_unique_id` if the connection dropped before
 *   the confirm; then it rejects with MessageDeliveryFailure. Receivers drop duplicates by
 *   `_unique_id` (bounded memory per server), so a resolved cast is handled once by a server.
 * - The sender declares the target queue `<topic>` / `<topic>.<server>` (durable) before its first
 *   message to it, so messages sent before any server ever ran are kept until one serves.
 * - A call fails at once with MessageDeliveryFailure when the connection drops while it waits for
 *   its reply (the reply queue is transient, a late reply could be lost anyway); a call is never
 *   re-published after a failed attempt. Before its first attempt it waits like a cast.
 * - Servers acknowledge a message when they start handling it (as oslo.messaging does): a handler
 *   that runs for hours never trips the broker's consumer timeout; a process that dies mid-handler
 *   does not get the message redelivered. At most `prefetch` handlers run per server.
 */
import { Logger } from '@nestjs/common';
import { AsyncMessage, Connection, Consumer, Envelope, Publisher } from 'rabbitmq-client';
import { ServiceUnavailable } from '../common/errors';
import type { CallOptions, MessageBus, RpcDispatcher, RpcServerHandle, RpcTarget, SendOptions } from './message-bus';
import { BusLogger, decodeReply, describeCall, encodeReply, encodeRequest, ReplyMessage } from './envelope';
import { deserializeFailure, formatSeconds, MessageDeliveryFailure, MessagingTimeout, serializeFailure } from './rpc-errors';
import { describeTransportUrl, formatHost, InvalidTransportUrl, parseTransportUrl, TransportUrl } from './transport-url';
import { DEFAULT_DRAIN_MS, DEFAULT_RPC_RESPONSE_TIMEOUT_MS } from './amqp-constants';
import { AmqpServer } from './amqp.server';
import { describeError, hex, queueFor, sleep, withTimeout } from './amqp-util';

export { DEFAULT_DRAIN_MS, DEFAULT_RPC_RESPONSE_TIMEOUT_MS } from './amqp-constants';

export interface AmqpBusOptions {
  /** `rabbit://user:pass@host:5672[,user:pass@host2:5672]/vhost`. */
  transportUrl: string;
  /** `[DEFAULT] control_exchange`; default `nova`. */
  controlExchange?: string;
  /** `[DEFAULT] rpc_response_timeout` in ms; default 60 000. */
  rpcResponseTimeoutMs?: number;
  /** `[oslo_messaging_rabbit] amqp_durable_queues`; default true (casts survive a broker restart). */
  durableQueues?: boolean;
  /** `[oslo_messaging_rabbit] rabbit_transient_queues_ttl` (s) for reply and fanout queues; default 1800. */
  transientQueuesTtlSec?: number;
  /** `[oslo_messaging_rabbit] rabbit_qos_prefetch_count`; default 64. */
  prefetch?: number;
  /** Start-up (and `serve`) gives up after this long without the broker; default 5 000 ms. */
  connectTimeoutMs?: number;
  /** How long a send waits for an unreachable broker before failing; default 5 000 ms. */
  sendRetryMs?: number;
  /** Shown in the broker's connection list. */
  connectionName?: string;
  logger?: BusLogger;
}

interface PendingCall {
  settle(err: Error | null, value?: unknown): void;
  label: string;
  sent: boolean;
}

const JSON_PROPS = { contentType: 'application/json', contentEncoding: 'utf-8', priority: 0 } as const;
const PERMANENT_CODES = new Set(['ACCESS_REFUSED', 'NOT_FOUND', 'RESOURCE_LOCKED', 'PRECONDITION_FAILED', 'CONTENT_TOO_LARGE', 'NOT_ALLOWED', 'INVALID_PATH']);

export class AmqpBus implements MessageBus {
  readonly transportName = 'rabbit';
  /** This process's reply queue, `reply_<uuid hex>`. */
  readonly replyQueue = `reply_${hex()}`;
  /** The broker URL with the password masked. */
  readonly where: string;
  readonly controlExchange: string;
  /** Counters for diagnostics: sends re-published after a lost confirm, redeliveries dropped as duplicates. */
  readonly stats = { republished: 0, duplicatesDropped: 0 };
  private readonly conn: Connection;
  private readonly publisher: Publisher;
  private readonly replyConsumer: Consumer;
  private readonly pending = new Map<string, PendingCall>();
  private readonly servers = new Set<AmqpServer>();
  private readonly declared = new Map<string, Promise<void>>();
  private readonly waiters = new Set<() => void>();
  private readonly timeoutMs: number;
  /** @internal Settings and helpers below are shared with AmqpServer in this file. */
  readonly durable: boolean;
  /** @internal */
  readonly ttlMs: number;
  /** @internal */
  readonly prefetch: number;
  /** @internal */
  readonly connectTimeoutMs: number;
  private readonly sendRetryMs: number;
  /** @internal */
  readonly logger: BusLogger;
  private replyReady = false;
  private connectedOnce = false;
  private sendsClosed = false;
  private closing?: Promise<void>;

  /** Connects, starts the reply consumer; a clear one-line ServiceUnavailable when the broker is unreachable. */
  static async connect(options: AmqpBusOptions): Promise<AmqpBus> {
    const url = parseTransportUrl(options.transportUrl);
    if (!url) throw new InvalidTransportUrl('the AMQP bus needs a rabbit:// transport_url');
    const bus = new AmqpBus(url, options);
    const started = await bus.waitFor(() => bus.replyReady || bus.fatalConnectError !== undefined, bus.connectTimeoutMs);
    if (!started || !bus.replyReady) {
      const why = bus.lastConnectError ? describeError(bus.lastConnectError) : `no answer within ${formatSeconds(bus.connectTimeoutMs)}`;
      bus.conn.unsafeDestroy();
      void bus.replyConsumer.close().catch(() => undefined);
      throw new ServiceUnavailable(`cannot connect to the message broker at ${bus.where}: ${why}`);
    }
    return bus;
  }

  private lastConnectError?: unknown;
  private blockedReason?: string;
  /** A connect error retrying cannot fix (bad credentials, unknown vhost): start-up fails at once. */
  private fatalConnectError?: unknown;

  private constructor(url: TransportUrl, options: AmqpBusOptions) {
    this.where = describeTransportUrl(url);
    this.controlExchange = options.controlExchange ?? 'nova';
    this.timeoutMs = options.rpcResponseTimeoutMs ?? DEFAULT_RPC_RESPONSE_TIMEOUT_MS;
    this.durable = options.durableQueues ?? true;
    this.ttlMs = (options.transientQueuesTtlSec ?? 1800) * 1000;
    this.prefetch = options.prefetch ?? 64;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.sendRetryMs = options.sendRetryMs ?? 5_000;
    this.logger = options.logger ?? new Logger('AmqpBus');
    const heartbeat = Number(url.query.heartbeat);
    this.conn = new Connection({
      hosts: url.hosts.map(formatHost),
      username: url.username,
      password: url.password,
      vhost: url.virtualHost,
      tls: url.tls,
      connectionName: options.connectionName ?? `nova-ts pid ${process.pid}`,
      connectionTimeout: this.connectTimeoutMs,
      acquireTimeout: this.sendRetryMs,
      heartbeat: Number.isFinite(heartbeat) && heartbeat >= 0 ? heartbeat : 60,
      // Reconnect quickly (consumers resume at most ~2 s after the broker is back).
      retryLow: 250,
      retryHigh: 2_000,
      noDelay: true,
    });
    this.conn.on('error', (err) => this.onConnectionError(err));
    this.conn.on('connection', () => this.onConnected());
    this.conn.on('connection.blocked', (reason: string) => {
      this.blockedReason = reason;
      this.logger.warn(`the message broker blocks publishing: ${reason}`);
    });
    this.conn.on('connection.unblocked', () => {
      this.blockedReason = undefined;
      this.logger.log('the message broker accepts messages again');
      this.wake();
    });
    this.publisher = this.conn.createPublisher({ confirm: true, maxAttempts: 1, exchanges: [this.controlExchangeDecl()] });
    this.replyConsumer = this.conn.createConsumer(
      {
        queue: this.replyQueue,
        queueOptions: { durable: false, autoDelete: false, exclusive: false, arguments: { 'x-expires': this.ttlMs } },
        noAck: true,
      },
      (msg) => this.onReply(msg),
    );
    this.replyConsumer.on('ready', () => {
      this.replyReady = true;
      this.wake();
    });
    this.replyConsumer.on('error', (err) => this.onConsumerError('reply', err));
  }

  /** @internal */
  controlExchangeDecl(): { exchange: string; type: string; durable: boolean; autoDelete: boolean } {
    return { exchange: this.controlExchange, type: 'topic', durable: this.durable, autoDelete: false };
  }

  call<T = unknown>(target: RpcTarget, method: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const label = describeCall(target.topic, method, target.server);
    if (this.sendsClosed) return Promise.reject(new MessageDeliveryFailure(`the RPC bus is closed; cannot call ${label}`));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const msgId = hex();
    let body: Buffer;
    try {
      body = Buffer.from(encodeRequest({
        method, args, version: target.version, namespace: target.namespace, context: options.context,
        uniqueId: hex(), msgId, replyQueue: this.replyQueue, callMonitorTimeoutSec: null,
      }), 'utf8');
    } catch (err) {
      return Promise.reject(new MessageDeliveryFailure(`cannot serialize the arguments of ${label}: ${describeError(err)}`));
    }
    return new Promise<T>((resolve, reject) => {
      // A call that never left (broker unreachable all along) says so rather than "timed out".
      const timer = setTimeout(() => entry.settle(entry.sent || this.conn.ready
        ? MessagingTimeout.forCall(target.topic, method, target.server, timeoutMs)
        : this.unreachable(label, timeoutMs)), timeoutMs);
      const entry: PendingCall = {
        label,
        sent: false,
        settle: (err, value) => {
          if (this.pending.get(msgId) !== entry) return;
          this.pending.delete(msgId);
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(value as T);
        },
      };
      this.pending.set(msgId, entry);
      const envelope: Envelope = {
        ...JSON_PROPS, exchange: this.controlExchange, routingKey: queueFor(target), durable: true, expiration: String(timeoutMs),
      };
      void this.sendCall(entry, envelope, body, target, timeoutMs).catch((err: Error) => entry.settle(err));
    });
  }

  private async sendCall(entry: PendingCall, envelope: Envelope, body: Buffer, target: RpcTarget, timeoutMs: number): Promise<void> {
    const callDeadline = Date.now() + timeoutMs;
    // Broker unreachable: wait like a cast. Connected but the reply consumer is still re-subscribing
    // after a reconnect: wait within the call's own timeout.
    const waitMs = Math.min(this.sendRetryMs, timeoutMs);
    if (!(await this.waitFor(() => this.conn.ready, waitMs))) throw this.unreachable(entry.label, waitMs);
    if (!(await this.waitFor(() => this.replyReady, callDeadline - Date.now()))) return; // the call's timer reports it
    entry.sent = true;
    await this.publish(envelope, body, entry.label, { retry: false, waitMs, deadline: Math.min(callDeadline, Date.now() + waitMs), declare: target });
    // The connection may have dropped between the confirm and now: the reply would never come.
    if (!this.replyReady) throw new MessageDeliveryFailure(`connection to the message broker was lost while waiting for a reply to ${entry.label}`);
  }

  async cast(target: RpcTarget, method: string, args: Record<string, unknown>, options: SendOptions = {}): Promise<void> {
    const label = describeCall(target.topic, method, target.server);
    const body = this.encodeCast(label, method, args, target, options);
    const envelope: Envelope = { ...JSON_PROPS, exchange: this.controlExchange, routingKey: queueFor(target), durable: true };
    await this.publish(envelope, body, label, { retry: true, waitMs: this.sendRetryMs, deadline: Date.now() + this.sendRetryMs, declare: target });
  }

  async fanoutCast(topic: string, method: string, args: Record<string, unknown>, options: SendOptions = {}): Promise<void> {
    const label = `${topic}.${method} (fanout)`;
    const body = this.encodeCast(label, method, args, { topic }, options);
    const exchange = `${topic}_fanout`;
    const envelope: Envelope = { ...JSON_PROPS, exchange, routingKey: '', durable: true };
    await this.publish(envelope, body, label, {
      retry: true,
      waitMs: this.sendRetryMs,
      deadline: Date.now() + this.sendRetryMs,
      // Auto-delete exchange: it may have gone with the last server; declaring it is idempotent.
      prepare: () => this.conn.exchangeDeclare({ exchange, type: 'fanout', durable: false, autoDelete: true }),
    });
  }

  async serve(topic: string, server: string, dispatch: RpcDispatcher): Promise<RpcServerHandle> {
    if (this.closing) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot serve ${topic}`);
    const srv = new AmqpServer(this, this.conn, topic, server, dispatch, () => this.servers.delete(srv));
    this.servers.add(srv);
    await srv.start();
    return srv;
  }

  close(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.closing ??= (async () => {
      // Handlers being drained may still call and cast; new sends are refused only afterwards.
      await Promise.all([...this.servers].map((s) => s.stop(drainMs)));
      this.sendsClosed = true;
      this.wake();
      for (const call of [...this.pending.values()]) {
        call.settle(new MessageDeliveryFailure(`the RPC bus was closed while waiting for a reply to ${call.label}`));
      }
      await withTimeout(this.replyConsumer.close(), 2_000);
      // oslo leaves the reply queue to x-expires; on a clean shutdown it is ours to delete.
      if (this.conn.ready) await withTimeout(this.conn.queueDelete({ queue: this.replyQueue }), 1_000);
      await withTimeout(this.publisher.close(), 2_000);
      if (!(await withTimeout(this.conn.close(), 2_000))) this.conn.unsafeDestroy();
    })();
    return this.closing;
  }

  /** True while connected to the broker (for health checks). */
  get connected(): boolean {
    return this.conn.ready;
  }

  /** @internal Publishes a reply to a caller's reply queue (default exchange); failures are logged, not thrown. */
  async sendReply(replyQueue: string, reply: ReplyMessage): Promise<void> {
    let text: string;
    try {
      text = encodeReply(reply);
    } catch (err) {
      const failure = serializeFailure(new TypeError(`cannot serialize the RPC result: ${describeError(err)}`));
      text = encodeReply({ ...reply, result: null, failure });
    }
    if (!this.conn.ready) {
      this.logger.warn(`dropping the reply to ${replyQueue}: not connected to the message broker`);
      return;
    }
    try {
      await this.publisher.send({ ...JSON_PROPS, exchange: '', routingKey: replyQueue }, Buffer.from(text, 'utf8'));
    } catch (err) {
      this.logger.warn(`could not send the reply to ${replyQueue}: ${describeError(err)}`);
    }
  }

  /** @internal Resolves true as soon as `pred()` holds, false after `ms` or when the bus closes. */
  waitFor(pred: () => boolean, ms: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    if (ms <= 0 || this.sendsClosed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(pred());
      };
      const check = (): void => {
        if (pred() || this.sendsClosed) done();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(check);
    });
  }

  /** @internal */
  wake(): void {
    for (const check of [...this.waiters]) check();
  }

  private encodeCast(label: string, method: string, args: Record<string, unknown>, target: RpcTarget, options: SendOptions): Buffer {
    if (this.sendsClosed) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot send ${label}`);
    try {
      return Buffer.from(encodeRequest({
        method, args, version: target.version, namespace: target.namespace, context: options.context, uniqueId: hex(),
      }), 'utf8');
    } catch (err) {
      throw new MessageDeliveryFailure(`cannot serialize the arguments of ${label}: ${describeError(err)}`);
    }
  }

  private async publish(
    envelope: Envelope,
    body: Buffer,
    label: string,
    opts: { retry: boolean; waitMs: number; deadline: number; declare?: RpcTarget; prepare?: () => Promise<void> },
  ): Promise<void> {
    for (;;) {
      if (this.sendsClosed) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot send ${label}`);
      if (!(await this.waitFor(() => this.conn.ready, opts.deadline - Date.now()))) {
        if (this.sendsClosed) throw new MessageDeliveryFailure(`the RPC bus is closed; cannot send ${label}`);
        throw this.unreachable(label, opts.waitMs);
      }
      try {
        if (opts.declare) await this.declareTarget(opts.declare);
        if (opts.prepare) await opts.prepare();
        await this.publisher.send(envelope, body);
        return;
      } catch (err) {
        const permanent = PERMANENT_CODES.has(String((err as { code?: unknown }).code));
        if (!opts.retry || permanent || Date.now() >= opts.deadline) {
          throw new MessageDeliveryFailure(`could not send ${label} to the message broker at ${this.where}: ${describeError(err)}`);
        }
        this.stats.republished++;
        await sleep(Math.min(100, Math.max(0, opts.deadline - Date.now())));
      }
    }
  }

  /** Declares `<topic>` or `<topic>.<server>` and its binding once per connection, like a server would. */
  private declareTarget(target: RpcTarget): Promise<void> {
    const queue = queueFor(target);
    let p = this.declared.get(queue);
    if (!p) {
      const declaring = (async () => {
        await this.conn.exchangeDeclare(this.controlExchangeDecl());
        await this.conn.queueDeclare({ queue, durable: this.durable, autoDelete: false, exclusive: false });
        await this.conn.queueBind({ queue, exchange: this.controlExchange, routingKey: queue });
      })();
      p = declaring;
      this.declared.set(queue, declaring);
      declaring.catch(() => {
        if (this.declared.get(queue) === declaring) this.declared.delete(queue);
      });
    }
    return p;
  }

  private unreachable(label: string, waitedMs: number): MessageDeliveryFailure {
    if (this.blockedReason !== undefined && this.connectedOnce) {
      return new MessageDeliveryFailure(
        `the message broker at ${this.where} blocks publishing (${this.blockedReason}); gave up sending ${label} after ${formatSeconds(waitedMs)}`,
      );
    }
    return new MessageDeliveryFailure(
      `the message broker at ${this.where} is unreachable; gave up sending ${label} after ${formatSeconds(waitedMs)}`,
    );
  }

  private onReply(msg: AsyncMessage): void {
    let reply: ReplyMessage;
    try {
      reply = decodeReply(msg.body);
    } catch (err) {
      this.logger.warn(`dropping an undecodable RPC reply: ${describeError(err)}`);
      return;
    }
    if (!reply.ending) return; // call-monitor heartbeat
    const call = this.pending.get(reply.msgId);
    if (!call) return; // timed out, failed, or a duplicate
    if (reply.failure !== null) call.settle(deserializeFailure(reply.failure));
    else call.settle(null, reply.result);
  }

  private onConnected(): void {
    if (this.connectedOnce) this.logger.log(`reconnected to the message broker at ${this.where}`);
    this.connectedOnce = true;
    this.declared.clear();
    this.wake();
  }

  private onConnectionError(err: unknown): void {
    if (!this.connectedOnce) {
      this.lastConnectError ??= err;
      if (['ACCESS_REFUSED', 'NOT_ALLOWED'].includes(String((err as { code?: unknown }).code))) {
        this.fatalConnectError = err;
        this.wake();
      }
      return;
    }
    if (this.closing && this.sendsClosed) return;
    if (this.conn.ready) {
      this.logger.warn(`message broker error: ${describeError(err)}`);
      return;
    }
    this.logger.warn(`lost the connection to the message broker at ${this.where} (${describeError(err)}); reconnecting`);
    this.replyReady = false;
    for (const call of [...this.pending.values()]) {
      call.settle(new MessageDeliveryFailure(call.sent
        ? `connection to the message broker was lost while waiting for a reply to ${call.label}`
        : `connection to the message broker was lost before ${call.label} could be sent`));
    }
  }

  /** @internal */
  onConsumerError(what: string, err: unknown): void {
    // During an outage every consumer reports it too; the connection error was logged already.
    if (this.conn.ready && !this.sendsClosed) this.logger.warn(`${what} consumer: ${describeError(err)}`);
  }
}
