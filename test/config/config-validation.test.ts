import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/common/errors';
import { loadConfig, parseConfigText } from '../../src/config/config-loader';
import { describeConfig, maskSecrets } from '../../src/config/options';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'config');

function configErrors(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.message, e.errors.join('\n'));
    return e.errors;
  }
  return assert.fail('expected a ConfigError');
}

describe('the devstack nova.conf of seed 001', () => {
  it('loads the controller variant with exactly one warning', () => {
    const file = join(FIXTURES, 'seed001-controller.conf');
    const { conf, warnings, files } = loadConfig({ configFiles: [file], configDirs: [] });
    assert.deepEqual(files, [file]);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.equal(warnings[0], `${file}: ignoring options nova-ts does not use: [DEFAULT] rpc_backend, ` +
      '[DEFAULT] rootwrap_config, [DEFAULT] use_neutron, [DEFAULT] firewall_driver, [oslo_messaging_rabbit] rabbit_host, ' +
      '[oslo_messaging_rabbit] rabbit_userid, [oslo_messaging_rabbit] rabbit_password (set [DEFAULT] transport_url instead); ' +
      'deprecated option names (still read): [DEFAULT] auth_strategy (now [api] auth_strategy), ' +
      '[keystone_authtoken] auth_uri (now www_authenticate_uri), [vnc] vncserver_listen (now server_listen), ' +
      '[vnc] vncserver_proxyclient_address (now server_proxyclient_address), [placement] os_region_name (now region_name)');
    assert.equal(conf.database.connection, 'mysql+pymysql://nova:NOVA_DBPASS@controller/nova');
    assert.equal(conf.api_database.connection, 'mysql+pymysql://nova:NOVA_DBPASS@controller/nova_api');
    assert.equal(conf.DEFAULT.transport_url, 'rabbit://openstack:RABBIT_PASS@controller');
    assert.equal(conf.DEFAULT.my_ip, '10.0.0.11');
    assert.equal(conf.vnc.server_listen, '10.0.0.11');
    assert.equal(conf.vnc.server_proxyclient_address, '10.0.0.11');
    assert.equal(conf.api.auth_strategy, 'keystone');
    assert.equal(conf.keystone_authtoken.www_authenticate_uri, 'http://controller:5000');
    assert.deepEqual(conf.keystone_authtoken.memcached_servers, ['controller:11211']);
    assert.deepEqual(conf.glance.api_servers, ['http://controller:9292']);
    assert.equal(conf.oslo_concurrency.lock_path, '/var/lib/nova/tmp');
    assert.equal(conf.placement.region_name, 'RegionOne');
    assert.equal(conf.neutron.url, 'http://controller:9696');
    assert.equal(conf.neutron.service_metadata_proxy, true);
    assert.equal(conf.neutron.metadata_proxy_shared_secret, 'NEUTRON_PASS');
  });

  it('loads the compute variant with exactly one warning', () => {
    const file = join(FIXTURES, 'seed001-compute.conf');
    const { conf, warnings } = loadConfig({ configFiles: [file], configDirs: [] });
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /ignoring options nova-ts does not use: \[DEFAULT\] rpc_backend, \[DEFAULT\] rootwrap_config, /);
    assert.equal(conf.vnc.server_listen, '0.0.0.0');
    assert.equal(conf.vnc.server_proxyclient_address, 'MANAGEMENT_INTERFACE_IP_ADDRESS');
    assert.equal(conf.vnc.novncproxy_base_url, 'http://controller:6080/vnc_auto.html');
    assert.deepEqual(conf.DEFAULT.enabled_apis, ['osapi_compute', 'metadata']);
  });

  it('never shows the seed\'s passwords in warnings or in the described configuration', () => {
    const file = join(FIXTURES, 'seed001-controller.conf');
    const { conf, warnings } = loadConfig({ configFiles: [file], configDirs: [] });
    const text = [...warnings, ...describeConfig(conf), JSON.stringify(maskSecrets(conf))].join('\n');
    for (const secret of ['NOVA_DBPASS', 'RABBIT_PASS', 'NOVA_PASS', 'PLACEMENT_PASS', 'NEUTRON_PASS', 'PASS_']) {
      assert.ok(!text.includes(secret), `${secret} leaked`);
    }
    const lines = describeConfig(conf);
    assert.ok(lines.includes('[DEFAULT] transport_url = rabbit://openstack:****@controller'));
    assert.ok(lines.includes('[database] connection = mysql+pymysql://nova:****@controller/nova'));
    assert.ok(lines.includes('[keystone_authtoken] password = ****'));
    assert.ok(lines.includes('[DEFAULT] report_interval = 10'));
    assert.ok(lines.includes('[api] compute_link_prefix = <unset>'));
  });
});

describe('unknown sections and options', () => {
  it('rejects a section that is not a Nova section, suggesting the closest one', () => {
    const errors = configErrors(() => parseConfigText('[databse]\nconnection = x\n[default]\nhost = a\n[frobnicate]\nx = 1\n[databse]\n'));
    assert.deepEqual(errors, [
      'nova.conf: unknown section [databse] (did you mean [database]?)',
      'nova.conf: unknown section [default] (did you mean [DEFAULT]?)',
      'nova.conf: unknown section [frobnicate]',
    ]);
  });

  it('warns once per file about options of real Nova sections it does not use', () => {
    const { warnings } = parseConfigText('[workarounds]\ndisable_rootwrap = true\n[DEFAULT]\nreport_intervall = 3\n' +
      'use_neutron = true\nuse_neutron = false\n[wsgi]\napi_paste_config = /etc/nova/api-paste.ini\n', 'n.conf');
    assert.deepEqual(warnings, ['n.conf: ignoring options nova-ts does not use: [workarounds] disable_rootwrap, ' +
      '[DEFAULT] report_intervall (did you mean report_interval?), [DEFAULT] use_neutron, ' +
      '[wsgi] api_paste_config (nova-ts builds its API pipeline itself)']);
  });

  it('does not warn about options it uses', () => {
    assert.deepEqual(parseConfigText('[DEFAULT]\nhost = a\n[vnc]\nenabled = false\n').warnings, []);
  });
});

describe('validation', () => {
  it('reports every error at once: parse errors, unknown sections, values, references', () => {
    const text = [
      '[DEFAULT]', 'report_interval = ten', 'garbage', 'debug = perhaps', 'log_dir = $nowhere', '[databse]', 'connection = x',
      '[quota]', 'instances = -5', 'cores = many', '[libvirt]', 'virt_type = xen', 'ssh_port = 70000',
    ].join('\n');
    const errors = configErrors(() => parseConfigText(text));
    assert.deepEqual(errors, [
      "nova.conf:3: expected 'key = value', got 'garbage'",
      'nova.conf: unknown section [databse] (did you mean [database]?)',
      "nova.conf: [DEFAULT] report_interval: expected an integer, got 'ten'",
      "nova.conf: [DEFAULT] debug: expected a boolean (true/false, yes/no, on/off, 1/0), got 'perhaps'",
      'nova.conf: [DEFAULT] log_dir: no option nowhere in [DEFAULT]',
      "nova.conf: [libvirt] virt_type: expected one of kvm, qemu, got 'xen'",
      "nova.conf: [libvirt] ssh_port: expected a port number (0-65535), got '70000'",
      "nova.conf: [quota] instances: must be at least -1, got '-5'",
      "nova.conf: [quota] cores: expected an integer, got 'many'",
    ]);
  });

  it('never prints a secret in an error', () => {
    const secret = 'S3cretPassw0rd';
    const text = [
      '[DEFAULT]', `transport_url = rabbit://openstack:${secret}@controller /vhost`,
      '[database]', `connection = mysql+pymysql://nova:${secret}@db/nova?x= y`,
      '[api_database]', `connection = ${secret}`,
      '[keystone_authtoken]', `password = x$${secret}`, `password ${secret}`,
      '[neutron]', `metadata_proxy_shared_secret = $${secret}`,
      '[DEFAULT]', `rabbit_leak = ${secret}`, 'log_dir = ${keystone_authtoken.password}/$oops',
      '[placement]', 'auth_url = $transport_url', '[glance]', 'num_retries = ${DEFAULT.transport_url}',
    ].join('\n');
    const errors = configErrors(() => parseConfigText(text));
    const all = errors.join('\n');
    assert.ok(!all.includes(secret), all);
    assert.ok(!all.includes('S3cret'), all);
    assert.ok(errors.includes("nova.conf: [DEFAULT] transport_url: expected a URL such as scheme://host/path, " +
      "got 'rabbit://openstack:****@controller /vhost'"), all);
    assert.ok(errors.includes("nova.conf: [api_database] connection: expected a URL such as scheme://host/path, got '****'"), all);
    assert.ok(errors.includes("nova.conf:9: expected 'key = value', got 'password ****'"), all);
    assert.ok(errors.includes("nova.conf: [keystone_authtoken] password: contains a '$' that is not a reference to a known option " +
      '(write $$ for a literal $)'), all);
    assert.ok(errors.includes("nova.conf: [glance] num_retries: expected an integer, got '****'"), all);
    assert.ok(errors.includes("nova.conf: [DEFAULT] log_dir: cannot expand ${keystone_authtoken.password}: contains a '$' " +
      'that is not a reference to a known option (write $$ for a literal $)'), all);
    assert.equal(errors.length, 9, all);
  });
});

describe('service_down_time', () => {
  it('is raised to 2.5 x report_interval when not greater than it, with a warning', () => {
    const { conf, warnings } = parseConfigText('[DEFAULT]\nreport_interval = 30\nservice_down_time = 30\n');
    assert.equal(conf.DEFAULT.service_down_time, 75);
    assert.deepEqual(warnings, ['[DEFAULT] service_down_time (30) must be greater than report_interval (30); ' +
      'using service_down_time = 75']);
    const odd = parseConfigText('[DEFAULT]\nreport_interval = 61\n').conf;
    assert.equal(odd.DEFAULT.service_down_time, 152);
  });

  it('is kept when greater', () => {
    const { conf, warnings } = parseConfigText('[DEFAULT]\nreport_interval = 30\nservice_down_time = 31\n');
    assert.deepEqual([conf.DEFAULT.service_down_time, warnings], [31, []]);
  });
});

describe('fixtures', () => {
  it('are the INI blocks of the seed, dedented', () => {
    const text = readFileSync(join(FIXTURES, 'seed001-controller.conf'), 'utf8');
    assert.ok(!/^[ \t]+\S/m.test(text), 'no indented lines (they would be continuation lines)');
    assert.match(text, /^vncserver_proxyclient_address = \$my_ip$/m);
  });
});
