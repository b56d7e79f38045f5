/**
 * Runs the real `nova` binary (bin/nova, built into dist/) as separate OS processes for
 * end-to-end tests. Note: Debian's python3-novaclient also installs a `nova` command, so tests
 * always run ours by path.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const NOVA_BIN = resolve(__dirname, '../../../bin/nova');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a nova command to completion. */
export function runNova(args: string[], timeoutMs = 60_000): RunResult {
  const r = spawnSync(process.execPath, [NOVA_BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export class NovaProcess {
  readonly child: ChildProcess;
  output = '';
  private exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [NOVA_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => pattern.test(this.output), timeoutMs, `output matching ${pattern} from pid ${this.pid}; got:\n${this.output}`);
  }

  /** Sends a signal and resolves with the exit code (or null when killed by the signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), timeoutMs).unref());
    const r = await Promise.race([this.exited, timer]);
    if (r === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`pid ${this.pid} did not exit within ${timeoutMs} ms of ${signal}; output:\n${this.output}`);
    }
    return r;
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function writeConf(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Parses the bordered table `nova service list` prints into objects keyed by header. */
export function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  if (lines.length === 0) return [];
  const split = (l: string) => l.slice(1, -1).split('|').map((c) => c.trim());
  const headers = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((c, i) => [headers[i], c])));
}

/**
 * What a process has open that could be a database: TCP connections to the given port (matched
 * through the socket inodes in /proc/<pid>/fd) and open SQLite files.
 */
export function databaseHandles(pid: number, mysqlPort = 3306): { tcp: number; sqliteFiles: string[] } {
  const inodes = new Set<string>();
  const files: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]);
    else if (/\.(sqlite|db)(-wal|-shm)?$/.test(target)) files.push(target);
  }
  let tcp = 0;
  const portHex = mysqlPort.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = cols[2].split(':')[1];
      if (remotePort === portHex && inodes.has(cols[9])) tcp++;
    }
  }
  return { tcp, sqliteFiles: files };
}
