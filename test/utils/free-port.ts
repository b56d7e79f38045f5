/**
 * A free TCP port on 127.0.0.1, for the few tests that must name a port before the process that
 * listens on it starts (a proxy URL written into nova.conf, a private sshd). Another process could
 * take it in between; on a test machine that is rare enough.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
