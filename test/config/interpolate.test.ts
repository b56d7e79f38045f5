import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Expanded, Interpolator, RefTarget } from '../../src/config/interpolate';

function interpolator(values: Record<string, string>, secrets: string[] = []): Interpolator {
  return new Interpolator((section, name): RefTarget | undefined => {
    const k = `${section}.${name}`;
    return k in values ? { value: values[k] ?? '', secret: secrets.includes(k) } : undefined;
  });
}

const ok = (r: Expanded | undefined): string => {
  assert.ok(r?.ok, JSON.stringify(r));
  return r.value;
};
const err = (r: Expanded | undefined): string => {
  assert.ok(r && !r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('interpolation', () => {
  const values = {
    'DEFAULT.my_ip': '10.0.0.11',
    'DEFAULT.state_path': '/var/lib/nova',
    'DEFAULT.instances_path': '$state_path/instances',
    'vnc.server_listen': '$my_ip',
    'vnc.port': '6080',
    'vnc.url': 'http://${my_ip}:$port/',
    'libvirt.port': '22',
    'libvirt.where': '${DEFAULT.state_path}/x and ${vnc.port}',
  };

  it('resolves $name in the same section first, then in DEFAULT', () => {
    const i = interpolator(values);
    assert.equal(ok(i.resolve('vnc', 'server_listen')), '10.0.0.11');
    assert.equal(ok(i.resolve('vnc', 'url')), 'http://10.0.0.11:6080/');
    assert.equal(ok(i.expand('$port', 'libvirt')), '22');
  });

  it('resolves ${section.name} in another section, and references recursively', () => {
    const i = interpolator(values);
    assert.equal(ok(i.resolve('libvirt', 'where')), '/var/lib/nova/x and 6080');
    assert.equal(ok(i.resolve('DEFAULT', 'instances_path')), '/var/lib/nova/instances');
  });

  it('expands a referenced value in its own section', () => {
    const i = interpolator({ 'DEFAULT.a': '$b', 'DEFAULT.b': 'default-b', 'vnc.b': 'vnc-b' });
    assert.equal(ok(i.expand('$a', 'vnc')), 'default-b');
  });

  it('turns $$ into a literal $ and leaves % alone', () => {
    const i = interpolator(values);
    assert.equal(ok(i.expand('pa$$word $$my_ip instance-%08x', 'DEFAULT')), 'pa$word $my_ip instance-%08x');
  });

  it('reports unknown references', () => {
    const i = interpolator(values);
    assert.equal(err(i.expand('$nope/x', 'vnc')), 'no option nope in [vnc] or [DEFAULT]');
    assert.equal(err(i.expand('${databse.connection}', 'DEFAULT')), 'no option connection in [databse]');
    assert.equal(err(i.expand('$nope', 'DEFAULT')), 'no option nope in [DEFAULT]');
    const nested = interpolator({ 'DEFAULT.a': 'x$b', 'DEFAULT.b': '$zz' });
    assert.equal(err(nested.resolve('DEFAULT', 'a')), 'cannot expand $b: no option zz in [DEFAULT]');
  });

  it('reports a stray $', () => {
    const i = interpolator(values);
    assert.equal(err(i.expand('cost: 5$', 'DEFAULT')), "invalid '$' at character 8 (write $$ for a literal $)");
    assert.equal(err(i.expand('$1', 'DEFAULT')), "invalid '$' at character 1 (write $$ for a literal $)");
    assert.equal(err(i.expand('${a b}', 'DEFAULT')), 'invalid reference ${a b}');
  });

  it('reports loops', () => {
    const i = interpolator({ 'DEFAULT.a': '$b', 'DEFAULT.b': 'x${DEFAULT.c}', 'DEFAULT.c': '$a', 'vnc.self': '$self' });
    assert.equal(err(i.resolve('DEFAULT', 'a')), 'interpolation loop: [DEFAULT] a -> [DEFAULT] b -> [DEFAULT] c -> [DEFAULT] a');
    assert.equal(err(i.resolve('vnc', 'self')), 'interpolation loop: [vnc] self -> [vnc] self');
  });

  it('marks values built from secrets, and hides the reference text of secret values', () => {
    const i = interpolator({ 'DEFAULT.password': 'pw', 'DEFAULT.url': 'x://u:$password@h' }, ['DEFAULT.password']);
    const r = i.resolve('DEFAULT', 'url');
    assert.ok(r?.ok && r.secret && r.value === 'x://u:pw@h');
    for (const pw of ['Hunter$2secretword', 'pa$secretword']) {
      const e = err(i.expand(pw, 'DEFAULT', true));
      assert.ok(!e.includes('secretword'), e);
      assert.equal(e, "contains a '$' that is not a reference to a known option (write $$ for a literal $)");
    }
  });
});
