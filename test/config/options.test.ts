import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findOption, isKnownSection, KNOWN_UNUSED_SECTIONS, SECTION_NAMES, sectionDef } from '../../src/config/options';
import { parseConfigText } from '../../src/config/config-loader';

const allOptions = () => SECTION_NAMES.flatMap((s) => Object.entries(sectionDef(s)?.options ?? {}).map(([n, o]) => ({ s, n, o })));

describe('option declarations', () => {
  it('are snake_case, documented, and declared once', () => {
    for (const { s, n, o } of allOptions()) {
      assert.match(n, /^[a-z][a-z0-9_]*$/, `[${s}] ${n}`);
      assert.ok(o.help.length > 10, `[${s}] ${n} needs help`);
    }
    for (const s of SECTION_NAMES) assert.ok(!KNOWN_UNUSED_SECTIONS.includes(s), `${s} is declared and listed as unused`);
  });

  it('have deprecated names that neither collide with declared options nor with each other', () => {
    const seen = new Set<string>();
    for (const { s, n, o } of allOptions()) {
      for (const d of o.deprecatedNames) {
        const sec = d.section ?? s;
        const label = `[${sec}] ${d.name}`;
        assert.ok(isKnownSection(sec), `${label} of [${s}] ${n}`);
        assert.equal(findOption(sec, d.name), undefined, `${label} shadows a declared option`);
        assert.ok(!seen.has(label), `${label} used twice`);
        seen.add(label);
      }
    }
  });

  it('mark passwords, shared secrets and credential-bearing URLs secret', () => {
    const secret = allOptions().filter(({ o }) => o.secret).map(({ s, n }) => `[${s}] ${n}`).sort();
    assert.deepEqual(secret, [
      '[DEFAULT] transport_url', '[api_database] connection', '[cinder] password', '[database] connection', '[identity] bootstrap_admin_password',
      '[keystone_authtoken] password', '[neutron] metadata_proxy_shared_secret', '[neutron] password',
      '[oslo_messaging_rabbit] rabbit_password', '[placement] password',
    ]);
  });

  it('keep multi-valued options in file order across current and deprecated names', () => {
    const { conf } = parseConfigText('[DEFAULT]\nscheduler_available_filters = a\n[filter_scheduler]\navailable_filters = b\n' +
      '[DEFAULT]\nscheduler_available_filters = c\n');
    assert.deepEqual(conf.filter_scheduler.available_filters, ['a', 'b', 'c']);
  });
});
