/**
 * HostShell on this machine (the compute runs on the hypervisor host itself, and tests):
 * child_process.spawn with an argument array, so no shell ever parses an argument.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandResult, HostShell, RunOptions } from './host-shell';

export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** A command that ran past its timeout; it was killed. */
export class HostCommandTimeoutError extends Error {
  constructor(readonly host: string, readonly argv: readonly string[], readonly timeoutMs: number,
    readonly partial: CommandResult) {
    super(`${host}: '${argv.join(' ').slice(0, 200)}' timed out after ${timeoutMs} ms and was killed`);
  }
}

/** The command could not be started (no such executable, ...). */
export class HostShellError extends Error {}

export function checkArgv(argv: readonly string[]): void {
  if (!Array.isArray(argv) || argv.length === 0) throw new HostShellError('empty command');
  for (const a of argv) {
    if (typeof a !== 'string') throw new HostShellError(`command argument must be a string, got ${typeof a}`);
    if (a.includes('\0')) throw new HostShellError('command argument contains a NUL byte');
  }
}

export class LocalShell implements HostShell {
  readonly description = 'local';

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    checkArgv(argv);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      // detached: own process group, so a timeout kills the command's children too.
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const result = (code: number | null): CommandResult => ({
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code,
      });
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        killGroup(child.pid);
        reject(new HostCommandTimeoutError(this.description, argv, timeoutMs, result(null)));
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new HostShellError(`local: cannot run ${argv[0]}: ${e.message}`));
      });
      child.on('close', (code) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result(code));
      });
      child.stdin.on('error', () => { /* the command exited without reading its stdin */ });
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
    });
  }

  async writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
    await writeFile(path, data, { mode });
    await chmod(path, mode); // writeFile's mode applies only to a new file (and the umask)
  }

  async upload(path: string, data: NodeJS.ReadableStream, mode = 0o644): Promise<void> {
    await pipeline(data as Readable, createWriteStream(path, { mode }));
    await chmod(path, mode);
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  /** Resolves once the file is open, so a missing file rejects here rather than mid-stream. */
  download(path: string): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) => {
      const s = createReadStream(path);
      s.once('error', reject);
      s.once('open', () => { s.off('error', reject); resolve(s); });
    });
  }

  async close(): Promise<void> { /* nothing held */ }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}
