/**
 * One `serve(topic, host)` on the AMQP bus: the consumers of `<topic>`, `<topic>.<host>` and the
 * topic's fanout queue, duplicate detection by `_unique_id`, at most `prefetch` handlers at once,
 * replies to the caller's reply queue, and a bounded drain on stop. See amqp.bus.ts for the
 * delivery semantics.
 */
import { AsyncMessage, Connection, Consumer, ConsumerProps, ConsumerStatus } from 'rabbitmq-client';
import type { AmqpBus } from './amqp.bus';
import { DEFAULT_DRAIN_MS } from './amqp-constants';
import { describeError, hex, waitAll, withTimeout } from './amqp-util';
import { decodeRequest, describeCall, IncomingRequest, UniqueIdCache } from './envelope';
import type { RpcDispatcher, RpcKind, RpcServerHandle } from './message-bus';
import { formatSeconds, MessageDeliveryFailure, serializeFailure } from './rpc-errors';
/** The three consumers of one `serve(topic, host)`. */
export class AmqpServer implements RpcServerHandle {
  private readonly consumers: Consumer[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly seen = new UniqueIdCache();
  private readonly slotWaiters: Array<() => void> = [];
  private readonly fanoutQueue: string;
  private active = 0;
  private stopRequested = false;
  private stopping?: Promise<void>;
  private lastError?: unknown;

  constructor(
    private readonly bus: AmqpBus,
    private readonly conn: Connection,
    private readonly topic: string,
    private readonly server: string,
    private readonly dispatch: RpcDispatcher,
    private readonly onStopped: () => void,
  ) {
    this.fanoutQueue = `${topic}_fanout_${hex()}`;
  }

  async start(): Promise<void> {
    const bus = this.bus;
    const qos = { prefetchCount: bus.prefetch };
    const serverQueue = `${this.topic}.${this.server}`;
    const fanoutExchange = `${this.topic}_fanout`;
    const shared = (queue: string) => ({
      queue,
      queueOptions: { durable: bus.durable, autoDelete: false, exclusive: false },
      exchanges: [bus.controlExchangeDecl()],
      queueBindings: [{ exchange: bus.controlExchange, queue, routingKey: queue }],
      qos,
    });
    const specs: Array<[ConsumerProps, RpcKind, string | undefined]> = [
      [shared(this.topic), 'cast', undefined],
      [shared(serverQueue), 'cast', this.server],
      [{
        queue: this.fanoutQueue,
        queueOptions: { durable: false, autoDelete: false, exclusive: false, arguments: { 'x-expires': bus.ttlMs } },
        exchanges: [{ exchange: fanoutExchange, type: 'fanout', durable: false, autoDelete: true }],
        queueBindings: [{ exchange: fanoutExchange, queue: this.fanoutQueue, routingKey: '' }],
        qos,
      }, 'fanout', undefined],
    ];
    const ready: Promise<void>[] = [];
    for (const [props, kind, server] of specs) {
      const consumer = this.conn.createConsumer(props, (msg) => this.onMessage(msg, kind, server));
      consumer.on('error', (err) => {
        this.lastError = err;
        bus.onConsumerError(`${props.queue}`, err);
      });
      ready.push(new Promise((resolve) => consumer.once('ready', () => resolve())));
      this.consumers.push(consumer);
    }
    if (!(await withTimeout(Promise.all(ready), bus.connectTimeoutMs))) {
      const why = this.lastError ? describeError(this.lastError) : `no answer within ${formatSeconds(bus.connectTimeoutMs)}`;
      await this.stop(0);
      throw new MessageDeliveryFailure(`cannot consume RPC topic ${this.topic} from the message broker at ${bus.where}: ${why}`);
    }
  }

  stop(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.stopping ??= (async () => {
      const deadline = Date.now() + drainMs;
      this.stopRequested = true;
      for (const wake of this.slotWaiters.splice(0)) wake();
      await withTimeout(Promise.allSettled(this.consumers.map((c) => c.close())), Math.max(drainMs, 1_000));
      await waitAll(this.inflight, deadline - Date.now());
      if (this.inflight.size > 0) {
        this.bus.logger.warn(`${this.topic} server: ${this.inflight.size} handler(s) still running after ${drainMs} ms; not waiting`);
      }
      if (this.bus.connected) await withTimeout(this.conn.queueDelete({ queue: this.fanoutQueue }).catch(() => undefined), 1_000);
      this.onStopped();
    })();
    return this.stopping;
  }

  private async onMessage(msg: AsyncMessage, kind: RpcKind, server?: string): Promise<ConsumerStatus> {
    if (this.stopRequested) return ConsumerStatus.REQUEUE;
    let incoming: IncomingRequest;
    try {
      incoming = decodeRequest(msg.body);
    } catch (err) {
      this.bus.logger.warn(`${this.topic} server: dropping an undecodable message: ${describeError(err)}`);
      return ConsumerStatus.DROP;
    }
    const uid = incoming.uniqueId;
    if (uid !== undefined && this.seen.has(uid)) return this.duplicate();
    if (!(await this.acquireSlot())) return ConsumerStatus.REQUEUE;
    if (uid !== undefined && this.seen.has(uid)) {
      this.releaseSlot();
      return this.duplicate();
    }
    if (uid !== undefined) this.seen.add(uid);
    const p = this.handle(incoming, incoming.msgId ? 'call' : kind, server).finally(() => this.releaseSlot());
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return ConsumerStatus.ACK;
  }

  private duplicate(): ConsumerStatus {
    this.bus.stats.duplicatesDropped++;
    return ConsumerStatus.ACK;
  }

  private async handle(incoming: IncomingRequest, kind: RpcKind, server?: string): Promise<void> {
    const { msgId, replyQueue } = incoming;
    let heartbeat: NodeJS.Timeout | undefined;
    if (msgId && replyQueue && incoming.callMonitorTimeoutSec) {
      // oslo call monitor: tell the caller every _timeout/2 s that the method is still running.
      heartbeat = setInterval(() => {
        void this.bus.sendReply(replyQueue, { msgId, uniqueId: hex(), result: null, failure: null, ending: false });
      }, Math.max(100, (incoming.callMonitorTimeoutSec * 1000) / 2));
    }
    let result: unknown = null;
    let failure: string | null = null;
    try {
      result = await this.dispatch({
        kind, topic: this.topic, server, namespace: incoming.namespace, version: incoming.version,
        method: incoming.method, args: incoming.args, context: incoming.context,
      });
    } catch (err) {
      failure = serializeFailure(err);
      if (!msgId) this.bus.logger.warn(`${kind} ${describeCall(this.topic, incoming.method)} failed: ${describeError(err)}`);
    } finally {
      clearInterval(heartbeat);
    }
    if (msgId && replyQueue) {
      await this.bus.sendReply(replyQueue, { msgId, uniqueId: hex(), result: failure ? null : result, failure, ending: true });
    }
  }

  private acquireSlot(): Promise<boolean> {
    if (this.active < this.bus.prefetch) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.slotWaiters.push(() => {
        if (this.stopRequested) return resolve(false);
        this.active++;
        resolve(true);
      });
    });
  }

  private releaseSlot(): void {
    this.active--;
    const next = this.slotWaiters.shift();
    if (next) next();
  }
}

