/**
 * Chooses the transport from `transport_url`: unset/empty (or `fake://`) = in-process, `rabbit://`
 * (or `amqp://`) = RabbitMQ. The caller maps nova.conf onto BusOptions; this module reads no config.
 */
import type { MessageBus } from './message-bus';
import type { BusLogger } from './envelope';
import { InProcessBroker, InProcessBus } from './inproc.bus';
import { AmqpBus } from './amqp.bus';
import { parseTransportUrl } from './transport-url';

export interface BusOptions {
  /** `[DEFAULT] transport_url`; unset or empty = in-process. */
  transportUrl?: string;
  /** `[DEFAULT] control_exchange` (`nova`). */
  controlExchange: string;
  /** `[DEFAULT] rpc_response_timeout` (60). */
  rpcResponseTimeoutSec: number;
  /** `[oslo_messaging_rabbit] amqp_durable_queues`. */
  durableQueues: boolean;
  /** `[oslo_messaging_rabbit] rabbit_transient_queues_ttl` (1800). */
  transientQueuesTtlSec: number;
  /** `[oslo_messaging_rabbit] rabbit_qos_prefetch_count` (64 in nova-ts). */
  prefetch: number;
}

export interface BusDeps {
  /** The process's in-process broker; without one a private broker is created (only this bus can use it). */
  broker?: InProcessBroker;
  /** Defaults to Nest's Logger. */
  logger?: BusLogger;
}

/**
 * Creates and connects the bus. Throws InvalidTransportUrl for a bad URL and ServiceUnavailable
 * ("cannot connect to the message broker at rabbit://guest:****@host:5672/: ECONNREFUSED") when the
 * broker cannot be reached within a few seconds.
 */
export async function createBus(conf: BusOptions, deps: BusDeps = {}): Promise<MessageBus> {
  const url = parseTransportUrl(conf.transportUrl);
  if (!url) {
    return new InProcessBus(deps.broker ?? new InProcessBroker(), {
      rpcResponseTimeoutMs: conf.rpcResponseTimeoutSec * 1000,
      logger: deps.logger,
    });
  }
  return AmqpBus.connect({
    transportUrl: conf.transportUrl as string,
    controlExchange: conf.controlExchange,
    rpcResponseTimeoutMs: conf.rpcResponseTimeoutSec * 1000,
    durableQueues: conf.durableQueues,
    transientQueuesTtlSec: conf.transientQueuesTtlSec,
    prefetch: conf.prefetch,
    logger: deps.logger,
  });
}
