/** [DEFAULT]: identity of this host, services, listeners and logging. */
import { boolOpt, intOpt, listOpt, portOpt, strOpt } from '../option-types';

export const defaultServiceOptions = {
  host: strOpt({
    default: (m) => m.hostname,
    sampleDefault: '<hostname>',
    help: 'Name of this host. Compute services are addressed by it on the bus (topic compute.<host>) ' +
      'and it is the name under which every service registers. It must be unique per compute host ' +
      'and must not change once instances run on the host. Defaults to the machine\'s hostname.',
  }),
  my_ip: strOpt({
    default: (m) => m.ipv4,
    sampleDefault: '<host_ipv4>',
    help: 'IP address of this host on the management network. Other options refer to it as $my_ip. ' +
      'Defaults to the first non-loopback IPv4 address of the machine, else 127.0.0.1.',
  }),
  state_path: strOpt({
    default: '/var/lib/nova',
    help: 'Top-level directory for the state nova-ts keeps on disk (SQLite databases when no ' +
      'database connection is configured, instances, locks). A relative path is resolved by the ' +
      'program against its working directory.',
  }),
  enabled_apis: listOpt({
    default: ['osapi_compute', 'metadata'],
    choices: ['osapi_compute', 'metadata'],
    help: 'The HTTP APIs the api role serves.',
  }),
  osapi_compute_listen: strOpt({ default: '0.0.0.0', help: 'Address the Compute API listens on.' }),
  osapi_compute_listen_port: portOpt({ default: 8774, help: 'Port the Compute API listens on.' }),
  metadata_listen: strOpt({ default: '0.0.0.0', help: 'Address the metadata service listens on.' }),
  metadata_listen_port: portOpt({ default: 8775, help: 'Port the metadata service listens on.' }),
  report_interval: intOpt({
    default: 10, min: 1, unit: 'seconds',
    help: 'How often each service reports that it is alive (its heartbeat in the services table).',
  }),
  service_down_time: intOpt({
    default: 60, min: 1, unit: 'seconds',
    help: 'A service whose last heartbeat is older than this is considered down. It must be greater ' +
      'than report_interval; otherwise it is raised to 2.5 times report_interval, as Nova does.',
  }),
  periodic_fuzzy_delay: intOpt({
    default: 60, min: 0, unit: 'seconds',
    help: 'Upper bound of a random delay before periodic tasks start, so that services started ' +
      'together do not all run them at the same moment. 0 disables the delay.',
  }),
  graceful_shutdown_timeout: intOpt({
    default: 60, min: 0, unit: 'seconds',
    help: 'How long a service waits for in-flight work when asked to stop before it exits anyway. ' +
      '0 waits without limit.',
  }),
  shutdown_timeout: intOpt({
    default: 60, min: 0, unit: 'seconds',
    help: 'How long to wait for a guest to shut down cleanly (e.g. on stop) before powering it off. ' +
      'An image may override it with the os_shutdown_timeout property. 0 powers off at once.',
  }),
  debug: boolOpt({ default: false, help: 'Log at debug level instead of info.' }),
  log_file: strOpt({
    deprecated: ['logfile'],
    help: 'Write the log to this file instead of standard error. A relative name is placed in log_dir.',
  }),
  log_dir: strOpt({ deprecated: ['logdir'], help: 'Directory for log_file when it is a relative name.' }),
};
