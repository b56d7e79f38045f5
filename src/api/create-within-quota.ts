import type { KeyedLock } from '../common/keyed-lock';

/**
 * Nova's count-then-insert quota pattern made exact: one create per key at a time in this
 * process (the lock), and a re-check after the insert (Nova's recheck_quota) that undoes the
 * create when another API process won the race. `check(adding)` throws the over-quota error.
 */
export function createWithinQuota<T>(
  lock: KeyedLock,
  key: string,
  check: (adding: number) => Promise<void>,
  create: () => Promise<T>,
  undo: (created: T) => Promise<void>,
): Promise<T> {
  return lock.run(key, async () => {
    await check(1);
    const created = await create();
    try {
      await check(0);
    } catch (err) {
      await undo(created);
      throw err;
    }
    return created;
  });
}
