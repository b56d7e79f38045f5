import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/common/errors';
import { loadConfig, machineFacts, parseConfigText } from '../../src/config/config-loader';
import { NovaConf } from '../../src/config/options';

function configErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.errors;
  }
  return assert.fail('expected a ConfigError');
}

describe('config loader: defaults and types', () => {
  it('gives every option its default, typed', () => {
    const { conf, warnings, files } = parseConfigText('');
    assert.deepEqual(warnings, []);
    assert.deepEqual(files, ['nova.conf']);
    const m = machineFacts();
    assert.equal(conf.DEFAULT.host, m.hostname);
    assert.equal(conf.DEFAULT.my_ip, m.ipv4);
    assert.equal(conf.DEFAULT.state_path, '/var/lib/nova');
    assert.equal(conf.DEFAULT.instances_path, '/var/lib/nova/instances');
    assert.equal(conf.DEFAULT.transport_url, undefined);
    assert.equal(conf.DEFAULT.report_interval, 10);
    assert.equal(conf.DEFAULT.service_down_time, 60);
    assert.equal(conf.DEFAULT.instance_name_template, 'instance-%08x');
    assert.equal(conf.DEFAULT.cpu_allocation_ratio, undefined);
    assert.equal(conf.DEFAULT.initial_cpu_allocation_ratio, 4.0);
    assert.deepEqual(conf.DEFAULT.enabled_apis, ['osapi_compute', 'metadata']);
    assert.equal(conf.api.auth_strategy, 'keystone');
    assert.equal(conf.database.connection, undefined);
    assert.equal(conf.oslo_messaging_rabbit.amqp_durable_queues, true);
    assert.equal(conf.vnc.novncproxy_port, 6080);
    assert.equal(conf.libvirt.ssh_host, m.ipv4);
    assert.deepEqual(conf.filter_scheduler.enabled_filters, ['ComputeFilter', 'ComputeCapabilitiesFilter',
      'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter']);
    assert.deepEqual(conf.filter_scheduler.available_filters, ['nova.scheduler.filters.all_filters']);
    assert.equal(conf.quota.ram, 51200);
  });

  it('has real TypeScript types', () => {
    const conf: NovaConf = parseConfigText('').conf;
    const n: number = conf.DEFAULT.report_interval;
    const s: string | undefined = conf.database.connection;
    const l: string[] = conf.filter_scheduler.enabled_filters;
    const b: boolean = conf.oslo_messaging_rabbit.amqp_durable_queues;
    const c: 'keystone' | 'noauth2' = conf.api.auth_strategy;
    // @ts-expect-error an unset-able option is not a plain string
    const bad: string = conf.database.connection;
    assert.deepEqual([typeof n, typeof s, Array.isArray(l), typeof b, c, bad], ['number', 'undefined', true, 'boolean', 'keystone', undefined]);
  });

  it('does not share default lists between loads', () => {
    const a = parseConfigText('').conf;
    (a.filter_scheduler.enabled_filters as string[]).push('X');
    assert.equal(parseConfigText('').conf.filter_scheduler.enabled_filters.includes('X'), false);
  });

  it('converts every type from the file', () => {
    const { conf } = parseConfigText([
      '[DEFAULT]', 'debug = Yes', 'report_interval = 5', 'service_down_time = 30', 'cpu_allocation_ratio = 16',
      'ram_allocation_ratio = 1.5', 'osapi_compute_listen_port = 18774', 'enabled_apis = osapi_compute',
      'transport_url = rabbit://u:p@h:5672/', 'default_schedule_zone = az1',
      '[api]', 'auth_strategy = noauth2', '[vnc]', 'auth_schemes = vencrypt, none',
      '[filter_scheduler]', 'enabled_filters = ComputeFilter,', '  RamFilter', 'ram_weight_multiplier = -1.0',
    ].join('\n'));
    assert.equal(conf.DEFAULT.debug, true);
    assert.equal(conf.DEFAULT.report_interval, 5);
    assert.equal(conf.DEFAULT.cpu_allocation_ratio, 16);
    assert.equal(conf.DEFAULT.ram_allocation_ratio, 1.5);
    assert.equal(conf.DEFAULT.osapi_compute_listen_port, 18774);
    assert.deepEqual(conf.DEFAULT.enabled_apis, ['osapi_compute']);
    assert.equal(conf.DEFAULT.transport_url, 'rabbit://u:p@h:5672/');
    assert.equal(conf.DEFAULT.default_schedule_zone, 'az1');
    assert.equal(conf.api.auth_strategy, 'noauth2');
    assert.deepEqual(conf.vnc.auth_schemes, ['vencrypt', 'none']);
    assert.deepEqual(conf.filter_scheduler.enabled_filters, ['ComputeFilter', 'RamFilter']);
    assert.equal(conf.filter_scheduler.ram_weight_multiplier, -1);
  });

  it('reports each type error in the documented format', () => {
    const errors = configErrors(() => parseConfigText([
      '[DEFAULT]', 'report_interval = ten', 'debug = maybe', 'osapi_compute_listen_port = 99999',
      'cpu_allocation_ratio = lots', 'enabled_apis = osapi_compute,ec2', '[api]', 'auth_strategy = ldap',
      '[scheduler]', 'max_attempts = 0', '[vnc]', 'novncproxy_base_url = controller:6080',
    ].join('\n')));
    // One line per error, all at once, in declaration order.
    assert.deepEqual(errors, [
      "nova.conf: [DEFAULT] enabled_apis: expected a list of: osapi_compute, metadata, got 'osapi_compute,ec2'",
      "nova.conf: [DEFAULT] osapi_compute_listen_port: expected a port number (0-65535), got '99999'",
      "nova.conf: [DEFAULT] report_interval: expected an integer, got 'ten'",
      "nova.conf: [DEFAULT] debug: expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'",
      "nova.conf: [DEFAULT] cpu_allocation_ratio: expected a number, got 'lots'",
      "nova.conf: [api] auth_strategy: expected one of keystone, noauth2, got 'ldap'",
      "nova.conf: [scheduler] max_attempts: must be at least 1, got '0'",
      "nova.conf: [vnc] novncproxy_base_url: expected a URL such as scheme://host/path, got 'controller:6080'",
    ]);
  });
});

describe('config loader: merging', () => {
  it('lets the last value win for ordinary options, within a file and across sections', () => {
    const { conf } = parseConfigText('[DEFAULT]\nreport_interval = 5\n[vnc]\n[DEFAULT]\nreport_interval = 7\nreport_interval = 8\n');
    assert.equal(conf.DEFAULT.report_interval, 8);
  });

  it('accumulates multi-valued options across lines; set values replace the default', () => {
    const { conf } = parseConfigText('[filter_scheduler]\navailable_filters = a.B\navailable_filters = c.D\n');
    assert.deepEqual(conf.filter_scheduler.available_filters, ['a.B', 'c.D']);
  });

  it('reads deprecated names, the current name winning within a file', () => {
    const { conf, warnings } = parseConfigText([
      '[DEFAULT]', 'auth_strategy = noauth2', '[vnc]', 'vncserver_listen = 10.1.1.1', 'server_proxyclient_address = 10.2.2.2',
      'vncserver_proxyclient_address = 10.3.3.3', '[placement]', 'os_region_name = RegionTwo',
    ].join('\n'));
    assert.equal(conf.api.auth_strategy, 'noauth2');
    assert.equal(conf.vnc.server_listen, '10.1.1.1');
    assert.equal(conf.vnc.server_proxyclient_address, '10.2.2.2');
    assert.equal(conf.placement.region_name, 'RegionTwo');
    assert.deepEqual(warnings, ['nova.conf: deprecated option names (still read): [DEFAULT] auth_strategy (now [api] auth_strategy), ' +
      '[vnc] vncserver_listen (now server_listen), [vnc] vncserver_proxyclient_address (now server_proxyclient_address), ' +
      '[placement] os_region_name (now region_name)']);
  });

  it('normalises section names to lower case, except DEFAULT', () => {
    assert.equal(parseConfigText('[Database]\nmax_pool_size = 9\n').conf.database.max_pool_size, 9);
  });

  it('keeps relative paths as written', () => {
    const { conf } = parseConfigText('[DEFAULT]\nstate_path = ./state\n');
    assert.equal(conf.DEFAULT.instances_path, './state/instances');
  });
});

describe('config loader: interpolation', () => {
  it('expands $my_ip, ${DEFAULT.state_path} and $$', () => {
    const { conf } = parseConfigText([
      '[DEFAULT]', 'my_ip = 10.0.0.11', 'state_path = /srv/nova', 'log_dir = $state_path/log',
      '[vnc]', 'server_listen = $my_ip', 'novncproxy_base_url = http://${my_ip}:6080/vnc_lite.html',
      '[oslo_concurrency]', 'lock_path = ${DEFAULT.state_path}/tmp', '[keystone_authtoken]', 'password = pa$$word',
    ].join('\n'));
    assert.equal(conf.vnc.server_listen, '10.0.0.11');
    assert.equal(conf.vnc.novncproxy_base_url, 'http://10.0.0.11:6080/vnc_lite.html');
    assert.equal(conf.oslo_concurrency.lock_path, '/srv/nova/tmp');
    assert.equal(conf.DEFAULT.log_dir, '/srv/nova/log');
    assert.equal(conf.DEFAULT.instances_path, '/srv/nova/instances');
    assert.equal(conf.libvirt.ssh_host, '10.0.0.11');
    assert.equal(conf.keystone_authtoken.password, 'pa$word');
  });

  it('expands into non-string options before converting them', () => {
    const { conf } = parseConfigText('[DEFAULT]\nreport_interval = 15\nservice_down_time = ${DEFAULT.report_interval}0\n');
    assert.equal(conf.DEFAULT.service_down_time, 150);
  });

  it('reports unknown references and loops', () => {
    const errors = configErrors(() => parseConfigText('[DEFAULT]\nlog_dir = $nope/log\n[vnc]\nserver_listen = $server_proxyclient_address\n' +
      'server_proxyclient_address = $server_listen\n'));
    assert.deepEqual(errors, [
      'nova.conf: [DEFAULT] log_dir: no option nope in [DEFAULT]',
      'nova.conf: [vnc] server_listen: interpolation loop: [vnc] server_listen -> [vnc] server_proxyclient_address -> [vnc] server_listen',
      'nova.conf: [vnc] server_proxyclient_address: interpolation loop: [vnc] server_listen -> [vnc] server_proxyclient_address -> [vnc] server_listen',
    ]);
  });

  it('can refer to options nova-ts does not use', () => {
    const { conf } = parseConfigText('[DEFAULT]\nmy_block_storage_ip = 10.9.9.9\nlog_dir = /x/$my_block_storage_ip\n');
    assert.equal(conf.DEFAULT.log_dir, '/x/10.9.9.9');
  });
});

describe('config loader: files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-ts-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };

  it('reads --config-file in order, then each --config-dir in name order; later files win', () => {
    const main = write('nova.conf', '[DEFAULT]\nreport_interval = 1\nhost = from-main\ndebug = true\n' +
      '[filter_scheduler]\navailable_filters = main.F\n');
    const second = write('second.conf', '[DEFAULT]\nreport_interval = 2\n');
    write('d/20-b.conf', '[DEFAULT]\nreport_interval = 20\n[filter_scheduler]\navailable_filters = b.F\n');
    write('d/10-a.conf', '[DEFAULT]\nreport_interval = 10\nhost = from-a\nstate_path = /a\n' +
      '[filter_scheduler]\navailable_filters = a.F\n');
    write('d/99-ignored.txt', '[DEFAULT]\nreport_interval = 99\n');
    write('d/30-c.conf.orig', 'garbage\n');
    const { conf, files } = loadConfig({ configFiles: [main, second], configDirs: [join(dir, 'd')] });
    assert.deepEqual(files, [main, second, join(dir, 'd', '10-a.conf'), join(dir, 'd', '20-b.conf')]);
    assert.equal(conf.DEFAULT.report_interval, 20);
    assert.equal(conf.DEFAULT.host, 'from-a');
    assert.equal(conf.DEFAULT.debug, true);
    assert.deepEqual(conf.filter_scheduler.available_filters, ['main.F', 'a.F', 'b.F']);
  });

  it('interpolates after merging all files', () => {
    const a = write('i1.conf', '[vnc]\nserver_listen = $my_ip\n');
    const b = write('i2.conf', '[DEFAULT]\nmy_ip = 192.0.2.7\n');
    assert.equal(loadConfig({ configFiles: [a, b], configDirs: [] }).conf.vnc.server_listen, '192.0.2.7');
  });

  it('lets a deprecated name in a later file override the current name in an earlier one', () => {
    const a = write('dep1.conf', '[vnc]\nserver_listen = 10.0.0.1\n');
    const b = write('dep2.conf', '[vnc]\nvncserver_listen = 10.0.0.2\n');
    assert.equal(loadConfig({ configFiles: [a, b], configDirs: [] }).conf.vnc.server_listen, '10.0.0.2');
  });

  it('names missing files and directories, together with the other errors', () => {
    const bad = write('bad.conf', '[DEFAULT]\nreport_interval = x\n');
    const missing = join(dir, 'missing.conf');
    const errors = configErrors(() => loadConfig({ configFiles: [missing, bad], configDirs: [join(dir, 'nodir')] }));
    assert.deepEqual(errors, [
      `config file not found: ${missing}`,
      `config dir not found: ${join(dir, 'nodir')}`,
      `${bad}: [DEFAULT] report_interval: expected an integer, got 'x'`,
    ]);
  });

  it('applies overrides (e.g. --host) over every file, and checks them', () => {
    const f = write('o.conf', '[DEFAULT]\nhost = from-file\n');
    const { conf } = loadConfig({ configFiles: [f], configDirs: [], overrides: [{ section: 'DEFAULT', name: 'host', value: 'cli-host' }] });
    assert.equal(conf.DEFAULT.host, 'cli-host');
    const errors = configErrors(() => loadConfig({
      configFiles: [f], configDirs: [],
      overrides: [{ section: 'DEFAULT', name: 'hots', value: 'x' }, { section: 'DEFAULT', name: 'report_interval', value: 'y' }],
    }));
    assert.deepEqual(errors, [
      'command line: unknown option [DEFAULT] hots',
      "command line: [DEFAULT] report_interval: expected an integer, got 'y'",
    ]);
  });

  it('loads defaults when given no files', () => {
    const r = loadConfig({ configFiles: [], configDirs: [] });
    assert.deepEqual([r.files, r.warnings, r.conf.DEFAULT.report_interval], [[], [], 10]);
  });
});
