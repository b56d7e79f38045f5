/**
 * A HostShell that logs every command and file transfer it makes on the hypervisor host, with its
 * exit status and duration (as Nova's processutils logs "Running cmd ... returned: 0 in 0.05s").
 * Used when `[DEFAULT] debug = true`: what a slow boot or a failing action did on the host, step
 * by step. Arguments are logged quoted as the remote shell receives them; stdin and file contents
 * are never logged (a user_data or a password may be in them), only their sizes.
 */
import type { CommandResult, HostShell, RunOptions } from './host-shell';
import { shellJoin } from './shell-quote';

const MAX_LOGGED_ARG = 200;

export class LoggedShell implements HostShell {
  constructor(
    private readonly inner: HostShell,
    private readonly log: (line: string) => void,
  ) {}

  get description(): string {
    return this.inner.description;
  }

  run(argv: string[], opts?: RunOptions): Promise<CommandResult> {
    const what = shellJoin(argv.map((a) => (a.length > MAX_LOGGED_ARG ? `${a.slice(0, MAX_LOGGED_ARG)}…` : a)))
      + (opts?.stdin !== undefined ? ` <(${Buffer.byteLength(opts.stdin)} bytes on stdin)` : '');
    return this.timed(what, () => this.inner.run(argv, opts), (r) => `exit ${r.code ?? 'signal'}`);
  }

  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
    return this.timed(`write ${path} (${Buffer.byteLength(data)} bytes)`, () => this.inner.writeFile(path, data, mode));
  }

  upload(path: string, data: NodeJS.ReadableStream, mode?: number): Promise<void> {
    return this.timed(`upload ${path}`, () => this.inner.upload(path, data, mode));
  }

  readFile(path: string): Promise<Buffer> {
    return this.timed(`read ${path}`, () => this.inner.readFile(path), (b) => `${b.length} bytes`);
  }

  download(path: string): Promise<NodeJS.ReadableStream> {
    return this.timed(`download ${path} (stream opened)`, () => this.inner.download(path));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async timed<T>(what: string, fn: () => Promise<T>, outcome?: (r: T) => string): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await fn();
      this.log(`${this.inner.description}: ${what} → ${outcome ? outcome(r) : 'ok'} in ${(performance.now() - t0).toFixed(0)} ms`);
      return r;
    } catch (e) {
      this.log(`${this.inner.description}: ${what} → failed in ${(performance.now() - t0).toFixed(0)} ms: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }
}
