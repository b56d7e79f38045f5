import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  boolOpt, choiceOpt, Converted, dictOpt, floatOpt, intOpt, listOpt, maskUrl, multiOpt, portOpt, showValue, strOpt,
  uriOpt,
} from '../../src/config/option-types';

const value = <T>(r: Converted<T>): T => {
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
};
const error = <T>(r: Converted<T>): string => {
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('option types', () => {
  it('boolean: true/false, yes/no, on/off, 1/0 in any case', () => {
    const b = boolOpt({ default: false, help: '' });
    for (const t of ['true', 'TRUE', 'Yes', 'on', '1', ' True ']) assert.equal(value(b.convert([t])), true, t);
    for (const f of ['false', 'False', 'NO', 'off', '0']) assert.equal(value(b.convert([f])), false, f);
    assert.equal(error(b.convert(['maybe'])), 'expected a boolean (true/false, yes/no, on/off, 1/0)');
    assert.equal(error(b.convert([''])), 'expected a boolean (true/false, yes/no, on/off, 1/0)');
  });

  it('integer: signs and spaces, no fractions, min and max', () => {
    const i = intOpt({ default: 1, min: -1, max: 100, help: '' });
    assert.equal(value(i.convert(['42'])), 42);
    assert.equal(value(i.convert([' +7 '])), 7);
    assert.equal(value(i.convert(['-1'])), -1);
    for (const bad of ['ten', '1.5', '1e3', '', '0x10']) assert.equal(error(i.convert([bad])), 'expected an integer', bad);
    assert.equal(error(i.convert(['-2'])), 'must be between -1 and 100');
    assert.equal(error(i.convert(['101'])), 'must be between -1 and 100');
    assert.equal(error(intOpt({ default: 1, min: 1, help: '' }).convert(['0'])), 'must be at least 1');
    assert.equal(error(intOpt({ default: 1, max: 5, help: '' }).convert(['6'])), 'must be at most 5');
  });

  it('integer and float without a default: an empty value leaves them unset', () => {
    assert.equal(value(intOpt({ help: '' }).convert([''])), undefined);
    assert.equal(value(floatOpt({ help: '' }).convert(['  '])), undefined);
  });

  it('float: decimals and exponents, not nan or inf', () => {
    const f = floatOpt({ default: 1, min: 0, help: '' });
    assert.equal(value(f.convert(['1'])), 1);
    assert.equal(value(f.convert(['1.5'])), 1.5);
    assert.equal(value(f.convert(['.5'])), 0.5);
    assert.equal(value(f.convert(['1e3'])), 1000);
    for (const bad of ['abc', 'nan', 'inf', '1.2.3']) assert.equal(error(f.convert([bad])), 'expected a number', bad);
    assert.equal(error(f.convert(['-0.5'])), 'must be at least 0');
  });

  it('port: 0 to 65535', () => {
    const p = portOpt({ default: 80, help: '' });
    assert.equal(value(p.convert(['0'])), 0);
    assert.equal(value(p.convert(['65535'])), 65535);
    for (const bad of ['65536', '-1', 'http']) assert.equal(error(p.convert([bad])), 'expected a port number (0-65535)', bad);
  });

  it('choice: one of the listed values', () => {
    const c = choiceOpt({ choices: ['keystone', 'noauth2'] as const, default: 'keystone', help: '' });
    assert.equal(value(c.convert(['noauth2'])), 'noauth2');
    assert.equal(error(c.convert(['ldap'])), 'expected one of keystone, noauth2');
  });

  it('list: comma-separated, trimmed, empty items dropped, optional item choices', () => {
    const l = listOpt({ help: '' });
    assert.deepEqual(value(l.convert(['a, b ,c'])), ['a', 'b', 'c']);
    assert.deepEqual(value(l.convert([''])), []);
    assert.deepEqual(value(l.convert(['a,,b,'])), ['a', 'b']);
    assert.deepEqual(value(l.convert(['a,\nb'])), ['a', 'b']);
    const c = listOpt({ default: ['none'], choices: ['none', 'vencrypt'], help: '' });
    assert.deepEqual(value(c.convert(['vencrypt,none'])), ['vencrypt', 'none']);
    assert.equal(error(c.convert(['none,sasl'])), 'expected a list of: none, vencrypt');
  });

  it('multi: keeps every value; list and multi defaults are fresh copies', () => {
    const m = multiOpt({ default: ['x'], help: '' });
    assert.equal(m.multi, true);
    assert.deepEqual(value(m.convert(['a', 'b', 'a'])), ['a', 'b', 'a']);
    assert.deepEqual(m.format(['a', 'b']), ['a', 'b']);
  });

  it('dict: key:value pairs', () => {
    const d = dictOpt({ help: '' });
    assert.deepEqual(value(d.convert(['a:1, b : 2,c:x:y'])), { a: '1', b: '2', c: 'x:y' });
    assert.deepEqual(value(d.convert([''])), {});
    assert.equal(error(d.convert(['a:1,b'])), 'expected key:value pairs separated by commas');
    assert.deepEqual(d.format({ a: '1', b: '2' }), ['a:1,b:2']);
  });

  it('string and URL: empty unsets an option without a default', () => {
    assert.equal(value(strOpt({ help: '' }).convert([''])), undefined);
    assert.equal(value(strOpt({ default: 'x', help: '' }).convert([''])), '');
    const u = uriOpt({ help: '' });
    assert.equal(value(u.convert(['sqlite:////var/lib/nova/nova.sqlite'])), 'sqlite:////var/lib/nova/nova.sqlite');
    assert.equal(value(u.convert(['mysql+pymysql://nova:pw@db/nova?charset=utf8'])), 'mysql+pymysql://nova:pw@db/nova?charset=utf8');
    assert.equal(value(u.convert([''])), undefined);
    assert.equal(error(u.convert(['controller:5672'])), 'expected a URL such as scheme://host/path');
    assert.equal(error(u.convert(['http://a b'])), 'expected a URL such as scheme://host/path');
  });

  it('records deprecated names with their sections', () => {
    const o = strOpt({ help: '', deprecated: ['old', 'DEFAULT.older'] });
    assert.deepEqual(o.deprecatedNames, [{ section: undefined, name: 'old' }, { section: 'DEFAULT', name: 'older' }]);
  });
});

describe('secret masking', () => {
  it('masks only the password of URLs, for every host', () => {
    assert.equal(maskUrl('rabbit://openstack:RABBIT_PASS@controller'), 'rabbit://openstack:****@controller');
    assert.equal(maskUrl('rabbit://u:p1@h1:5672,v:p2@h2:5672/vhost'), 'rabbit://u:****@h1:5672,v:****@h2:5672/vhost');
    assert.equal(maskUrl('mysql+pymysql://nova:NOVA_DBPASS@controller/nova'), 'mysql+pymysql://nova:****@controller/nova');
    assert.equal(maskUrl('mysql://nova:p/w@db/nova'), 'mysql://nova:****@db/nova');
    assert.equal(maskUrl('mysql://nova:p@w@db/nova'), 'mysql://nova:****@db/nova');
    assert.equal(maskUrl('mysql://db/nova?user=nova&password=x1'), 'mysql://db/nova?user=nova&password=****');
    assert.equal(maskUrl('rabbit://guest@h/'), 'rabbit://guest@h/');
    assert.equal(maskUrl('http://controller:9292'), 'http://controller:9292');
    assert.equal(maskUrl('not a url'), 'not a url');
  });

  it('shows secret values as **** and secret URLs without their password', () => {
    const pw = { secret: true, kind: 'string' } as const;
    const url = { secret: true, kind: 'uri' } as const;
    assert.equal(showValue(pw, 'NOVA_PASS'), '****');
    assert.equal(showValue(url, 'rabbit://openstack:RABBIT_PASS@controller'), 'rabbit://openstack:****@controller');
    assert.equal(showValue(url, 'sqlite:///nova.sqlite'), 'sqlite:///nova.sqlite');
    assert.equal(showValue(url, 'rabbit://h1:5672,h2:5672/'), 'rabbit://h1:5672,h2:5672/');
    assert.equal(showValue(url, 'rabbit://openstack:RABBIT_PASS'), '****');
    assert.equal(showValue(url, 'rabbit//openstack:RABBIT_PASS@controller'), '****');
    assert.equal(showValue({ secret: false, kind: 'string' }, 'plain'), 'plain');
  });
});
