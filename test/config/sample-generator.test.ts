import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { machineFacts, parseConfigText } from '../../src/config/config-loader';
import { SECTION_NAMES, sectionDef } from '../../src/config/options';
import { generateSample, wrapComment } from '../../src/config/sample-generator';

describe('sample generator', () => {
  const sample = generateSample();
  const lines = sample.split('\n');

  it('is deterministic and shows no fact of this machine', () => {
    assert.equal(generateSample(), sample);
    assert.ok(lines.includes('#host = <hostname>'));
    assert.ok(lines.includes('#my_ip = <host_ipv4>'));
    const { ipv4 } = machineFacts();
    if (ipv4 !== '127.0.0.1') assert.ok(!sample.includes(ipv4));
  });

  it('mentions every section and option, with defaults, units and deprecated names', () => {
    for (const s of SECTION_NAMES) {
      assert.ok(lines.includes(`[${s}]`), s);
      for (const [name, opt] of Object.entries(sectionDef(s)?.options ?? {})) {
        assert.ok(lines.some((l) => l === `#${name} =` || l.startsWith(`#${name} = `)), `[${s}] ${name}`);
        for (const d of opt.deprecatedNames) assert.ok(lines.includes(`# Deprecated group/name - [${d.section ?? s}]/${d.name}`), `${name}: ${d.name}`);
      }
    }
    const block = sample.slice(sample.indexOf('\n# How often each service reports'), sample.indexOf('#report_interval = 10'));
    assert.match(block, /# Type: integer\n# Minimum: 1\n# Unit: seconds\n$/);
    assert.ok(lines.includes('#instances_path = $state_path/instances'));
    assert.ok(lines.includes('#available_filters = nova.scheduler.filters.all_filters'));
    assert.ok(lines.includes('#transport_url = <None>'));
    assert.ok(lines.includes('#api_servers ='));
    assert.ok(sample.includes('# Deprecated group/name - [vnc]/vncserver_listen\n# Deprecated group/name - [DEFAULT]/vncserver_listen\n'));
    assert.ok(sample.includes('# Allowed values: keystone, noauth2'));
  });

  it('wraps comments at 79 columns', () => {
    for (const l of lines.filter((x) => x.startsWith('# ') || x === '#')) assert.ok(l.length <= 79, l);
    assert.deepEqual(wrapComment('aaa bbb ccc', 10), ['# aaa bbb', '# ccc']);
    assert.deepEqual(wrapComment('one\n\ntwo'), ['# one', '#', '# two']);
  });

  it('parses, fully commented, to the defaults without warnings', () => {
    const fromSample = parseConfigText(sample, 'nova.conf.example');
    assert.deepEqual(fromSample.warnings, []);
    assert.deepEqual(fromSample.conf, parseConfigText('').conf);
  });

  it('parses, with every default uncommented, to the defaults', () => {
    const uncommented = lines
      .map((l) => (/^#[a-z_]+ =( |$)/.test(l) && !/ = <.*>$/.test(l) ? l.slice(1) : l))
      .join('\n');
    assert.ok(uncommented.includes('\nreport_interval = 10\n'));
    assert.deepEqual(parseConfigText(uncommented).conf, parseConfigText('').conf);
  });
});
