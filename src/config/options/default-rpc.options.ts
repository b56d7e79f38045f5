/** [DEFAULT]: the message bus (oslo.messaging's options). */
import { intOpt, strOpt, uriOpt } from '../option-types';

export const defaultRpcOptions = {
  transport_url: uriOpt({
    secret: true,
    help: 'The message bus: rabbit://user:password@host:5672[,user:password@host2:5672]/vhost. ' +
      'When unset, an in-process bus is used, which only works when every role runs in one process ' +
      '(--role=all).',
  }),
  control_exchange: strOpt({ default: 'nova', help: 'Name of the AMQP topic exchange the RPC topics are bound to.' }),
  rpc_response_timeout: intOpt({
    default: 60, min: 1, unit: 'seconds',
    help: 'How long an RPC call waits for its reply before failing with a timeout.',
  }),
  long_rpc_timeout: intOpt({
    default: 1800, min: 1, unit: 'seconds',
    help: 'Timeout of the RPC calls known to take long (for example select_destinations with many ' +
      'instances, live migration checks); these callers keep waiting while the callee is alive.',
  }),
};
