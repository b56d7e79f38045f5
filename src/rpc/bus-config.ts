import type { NovaConf } from '../config/options';
import type { BusOptions } from './bus-factory';

/** Maps nova.conf onto the bus factory's options (the bus itself never reads the config). */
export function busOptionsFromConf(conf: NovaConf): BusOptions {
  const rabbit = conf.oslo_messaging_rabbit;
  return {
    transportUrl: conf.DEFAULT.transport_url,
    controlExchange: conf.DEFAULT.control_exchange,
    rpcResponseTimeoutSec: conf.DEFAULT.rpc_response_timeout,
    durableQueues: rabbit.amqp_durable_queues,
    transientQueuesTtlSec: rabbit.rabbit_transient_queues_ttl,
    prefetch: rabbit.rabbit_qos_prefetch_count > 0 ? rabbit.rabbit_qos_prefetch_count : 64,
  };
}
