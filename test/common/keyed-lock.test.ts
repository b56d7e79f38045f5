import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLock } from '../../src/common/keyed-lock';

describe('KeyedLock', () => {
  it('runs work on one key one at a time, in arrival order, and other keys in parallel', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([job('a', 'a1', 30), job('a', 'a2', 5), job('b', 'b1', 5)]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.ok(events.indexOf('end a1') < events.indexOf('start a2'), events.join(', '));
    assert.ok(events.indexOf('start b1') < events.indexOf('end a1'), 'another key does not wait');
  });

  it('releases the key when the work fails', async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run('k', async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await lock.run('k', async () => 'next'), 'next');
  });
});
