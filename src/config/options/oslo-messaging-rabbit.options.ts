/** [oslo_messaging_rabbit]: RabbitMQ details; the broker itself is [DEFAULT] transport_url. */
import { boolOpt, intOpt, listOpt, section, strOpt } from '../option-types';

const IGNORED = 'set [DEFAULT] transport_url instead';

export const osloMessagingRabbitSection = section('RabbitMQ options of the AMQP bus.', {
  amqp_durable_queues: boolOpt({
    default: true,
    help: 'Declare the topic queues (scheduler, conductor, compute.<host>, ...) durable, so casts ' +
      'queued for a service survive a broker restart. nova-ts defaults to true (oslo.messaging ' +
      'defaults to false); reply and fanout queues are never durable.',
  }),
  amqp_auto_delete: boolOpt({
    default: false, help: 'Delete topic queues when their last consumer goes away.',
  }),
  rabbit_transient_queues_ttl: intOpt({
    default: 1800, min: 1, unit: 'seconds',
    help: 'Unused reply and fanout queues are deleted by the broker after this time.',
  }),
  heartbeat_timeout_threshold: intOpt({
    default: 60, min: 0, unit: 'seconds',
    help: 'The connection is considered dead after this long without AMQP heartbeats. 0 disables heartbeats.',
  }),
  rabbit_qos_prefetch_count: intOpt({
    default: 0, min: 0,
    help: 'Unacknowledged messages a consumer may hold. 0 means the nova-ts default of 64.',
  }),
  kombu_missing_consumer_retry_timeout: intOpt({
    default: 60, min: 0, unit: 'seconds', deprecated: ['kombu_reconnect_timeout'],
    help: 'How long a reply is retried when the caller\'s reply queue is missing, before it is dropped.',
  }),
  rabbit_host: strOpt({ ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
  rabbit_hosts: listOpt({ ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
  rabbit_port: intOpt({ min: 0, max: 65535, ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
  rabbit_userid: strOpt({ ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
  rabbit_password: strOpt({ secret: true, ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
  rabbit_virtual_host: strOpt({ ignored: IGNORED, help: 'Deprecated; ignored. Use [DEFAULT] transport_url.' }),
});
