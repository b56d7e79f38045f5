/** Small helpers shared by the AMQP bus and its servers. */
import { randomUUID } from 'node:crypto';
import type { RpcTarget } from './message-bus';

export function queueFor(target: RpcTarget): string {
  return target.server ? `${target.topic}.${target.server}` : target.topic;
}

export function hex(): string {
  return randomUUID().replace(/-/g, '');
}

/** One line, never a stack: `ECONNREFUSED`, `ACCESS_REFUSED - Login was refused ...`. */
export function describeError(err: unknown): string {
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    if (e.cause && e.message === 'RabbitMQ failed to connect in time') return describeError(e.cause);
    // rabbitmq-client prefixes the failing AMQP method, `undefined` when there is none.
    if (typeof e.message === 'string' && e.message) return e.message.split('\n')[0].replace(/^undefined: /, '');
    if (typeof e.code === 'string') return e.code;
  }
  return String(err);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True if `p` settled within `ms`. */
export async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(() => true, () => true);
  const result = await Promise.race([settled, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))))]);
  clearTimeout(timer);
  return result;
}

export async function waitAll(set: Set<Promise<void>>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (set.size > 0 && Date.now() < deadline) {
    await withTimeout(Promise.allSettled([...set]), deadline - Date.now());
  }
}
