/**
 * HostShell over SSH (npm `ssh2`): the compute service reaching its hypervisor host.
 *
 * - One connection per `user@host:port`, opened on first use, shared by every caller (SshShellPool
 *   hands out one SshShell per host) and re-opened after it drops. SSH keepalives detect a dead peer.
 * - The host key is checked against a known_hosts file (plain, `[host]:port`, hashed `|1|` entries,
 *   `*`/`?` patterns, `!` negation, `@revoked`). A changed key is always refused. An unknown host is
 *   refused too unless `strictHostKeyChecking` is false: then its key is trusted on first use and
 *   appended to the known_hosts file (for labs only; the default is to refuse).
 * - A command is an argument array; every argument is single-quoted for the remote POSIX shell
 *   (shell-quote.ts), so no argument is ever parsed by it. The command runs under the host's
 *   `timeout -s KILL`, so a command past its timeout dies on the host even though sshd ignores
 *   channel close for non-pty sessions; locally the channel is signalled and closed.
 *   argv[0] must be an executable, not a shell builtin (the same contract as LocalShell).
 * - Files move over one SFTP channel per connection, streamed.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, ClientChannel, ConnectConfig, SFTPWrapper, utils as sshUtils } from 'ssh2';
import { CommandResult, HostShell, RunOptions } from './host-shell';
import { DEFAULT_COMMAND_TIMEOUT_MS, HostCommandTimeoutError, HostShellError, checkArgv } from './local-shell';
import { shellJoin } from './shell-quote';
import { ParallelSftpWriter } from './sftp-writer';

export interface SshShellOptions {
  host: string;
  /** Default 22. */
  port?: number;
  /** Default root. */
  username?: string;
  /** Private key file (OpenSSH or PEM format), read at each connect. */
  privateKeyFile?: string;
  /** Or the key itself. */
  privateKey?: string | Buffer;
  passphrase?: string;
  /** known_hosts file holding the host's key. Required unless strictHostKeyChecking is false. */
  knownHostsFile?: string;
  /**
   * true (default): an unknown host is refused. false: trust on first use, the key is appended to
   * knownHostsFile (when set). A key that differs from a known one is refused either way.
   */
  strictHostKeyChecking?: boolean;
  /** Connection + authentication timeout (default 15 000 ms). */
  connectTimeoutMs?: number;
  /** SSH keepalive interval (default 10 000 ms; 0 disables) and unanswered keepalives before the connection is dropped (3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Default per-command timeout (60 000 ms). */
  commandTimeoutMs?: number;
  /** Concurrent exec channels on the connection; sshd's MaxSessions defaults to 10, SFTP takes one (default 8). */
  maxSessions?: number;
  /** Wrap commands in the host's `timeout -s KILL` (default true; needs coreutils on the host). */
  remoteTimeout?: boolean;
}

/** The host key was refused: unknown host or a key that does not match known_hosts. */
export class HostKeyVerificationError extends HostShellError {
  constructor(message: string, readonly host: string, readonly fingerprint: string) {
    super(message);
  }
}

/** SHA256 fingerprint of an SSH public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type (`ssh-ed25519`, ...) at the start of an SSH public key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  return n > 0 && n < 64 && keyBlob.length >= 4 + n ? keyBlob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

/** The name known_hosts uses for a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export interface KnownHostEntry {
  line: number;
  marker?: 'revoked' | 'cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields.shift()!.slice(1) as KnownHostEntry['marker'];
    }
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64) return;
    out.push({ line: i + 1, marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  });
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether a known_hosts host field (`a,b,[c]:2222`, `|1|salt|hash`, `*.lab,!x.lab`) names `name`. */
export function hostPatternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { ok: true; line: number }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; lines: number[] };

/** OpenSSH's rules, without certificates: revoked → refuse; same key listed → ok; other keys listed → mismatch. */
export function checkHostKey(entries: KnownHostEntry[], name: string, keyBlob: Buffer): HostKeyVerdict {
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostPatternsMatch(e.patterns, name));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob));
  if (revoked) return { ok: false, reason: 'revoked', lines: [revoked.line] };
  const same = forHost.find((e) => !e.marker && e.key.equals(keyBlob));
  if (same) return { ok: true, line: same.line };
  const others = forHost.filter((e) => !e.marker);
  return others.length > 0 ? { ok: false, reason: 'mismatch', lines: others.map((e) => e.line) } : { ok: false, reason: 'unknown', lines: [] };
}

/** A counting semaphore for the connection's exec channels. */
class Slots {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) { this.free--; return; }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next(); else this.free++;
  }
}

interface Connection {
  client: Client;
  alive: boolean;
  sftp?: Promise<SFTPWrapper>;
}

export class SshShell implements HostShell {
  readonly description: string;
  private readonly port: number;
  private readonly username: string;
  private readonly hostName: string;
  private connecting?: Promise<Connection>;
  private current?: Connection;
  private closed = false;
  private readonly slots: Slots;

  constructor(private readonly opts: SshShellOptions) {
    if (!opts.host) throw new HostShellError('ssh: no host given');
    this.port = opts.port ?? 22;
    this.username = opts.username ?? 'root';
    this.description = `${this.username}@${opts.host}:${this.port}`;
    this.hostName = knownHostsName(opts.host, this.port);
    this.slots = new Slots(Math.max(1, opts.maxSessions ?? 8));
    if ((opts.strictHostKeyChecking ?? true) && !opts.knownHostsFile) {
      throw new HostShellError(`${this.description}: a known_hosts file is required when strict host key checking is on`);
    }
  }

  /** Opens the connection now (otherwise the first command does); rejects on auth or host-key failure. */
  async connect(): Promise<void> {
    await this.connection();
  }

  /** Whether a connection is currently open. */
  get connected(): boolean {
    return this.current?.alive ?? false;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    checkArgv(argv);
    const timeoutMs = opts.timeoutMs ?? this.opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const wrapped = this.opts.remoteTimeout ?? true;
    // The host's timeout fires just after ours, so the local timeout error wins the race.
    const command = shellJoin(wrapped ? ['timeout', '-s', 'KILL', (Math.ceil(timeoutMs / 100) / 10 + 0.5).toString(), ...argv] : argv);
    await this.slots.take();
    try {
      const rec = await this.openExec(command);
      return await this.collect(rec, argv, timeoutMs, wrapped, opts.stdin);
    } finally {
      this.slots.give();
    }
  }

  async writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
    await this.upload(path, Readable.from([typeof data === 'string' ? Buffer.from(data) : data]), mode);
  }

  async upload(path: string, data: NodeJS.ReadableStream, mode = 0o644): Promise<void> {
    const sftp = await this.sftp();
    try {
      await pipeline(data as Readable, new ParallelSftpWriter(sftp, path, mode));
      await new Promise<void>((resolve, reject) => sftp.chmod(path, mode, (e) => (e ? reject(e) : resolve())));
    } catch (e) {
      throw this.fileError('write', path, e);
    }
  }

  async readFile(path: string): Promise<Buffer> {
    const s = await this.download(path);
    const chunks: Buffer[] = [];
    try {
      for await (const c of s as Readable) chunks.push(c as Buffer);
    } catch (e) {
      throw this.fileError('read', path, e);
    }
    return Buffer.concat(chunks);
  }

  /** Resolves once the file is open, so a missing file rejects here rather than mid-stream. */
  async download(path: string): Promise<NodeJS.ReadableStream> {
    const sftp = await this.sftp();
    return new Promise((resolve, reject) => {
      const s = sftp.createReadStream(path);
      const fail = (e: unknown): void => reject(this.fileError('read', path, e));
      s.once('error', fail);
      s.once('open', () => { s.off('error', fail); resolve(s); });
    });
  }

  /**
   * A TCP stream to `host:port` as the SSH host sees it (a `direct-tcpip` channel, what `ssh -W`
   * opens), over the shared connection; the host's sshd must allow TCP forwarding. The channel
   * is a Duplex with SSH flow control (backpressure both ways).
   */
  async forwardOut(host: string, port: number): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection();
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          try {
            conn.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (e) {
            reject(e as Error);
          }
        });
      } catch (e) {
        if (attempt === 0 && !conn.alive) continue;
        throw new HostShellError(`${this.description}: cannot open a tunnel to ${host}:${port}: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.current ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.current = undefined;
    this.connecting = undefined;
    if (c?.alive) {
      await new Promise<void>((resolve) => {
        c.client.once('close', () => resolve());
        c.client.end();
        setTimeout(resolve, 2000).unref();
      });
    }
  }

  // ------------------------------------------------------------------ internals

  private fileError(op: string, path: string, e: unknown): Error {
    if (e instanceof HostShellError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new HostShellError(`${this.description}: cannot ${op} ${path}: ${msg}`);
  }

  private async connection(): Promise<Connection> {
    if (this.closed) throw new HostShellError(`${this.description}: shell is closed`);
    if (this.current?.alive) return this.current;
    this.connecting ??= this.open().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const o = this.opts;
    const strict = o.strictHostKeyChecking ?? true;
    let privateKey = o.privateKey;
    if (privateKey === undefined && o.privateKeyFile) {
      try {
        privateKey = await readFile(o.privateKeyFile);
      } catch (e) {
        throw new HostShellError(`${this.description}: cannot read private key ${o.privateKeyFile}: ${(e as Error).message}`);
      }
    }
    if (privateKey !== undefined) {
      const parsed = sshUtils.parseKey(privateKey, o.passphrase);
      if (parsed instanceof Error) {
        throw new HostShellError(`${this.description}: cannot use private key ${o.privateKeyFile ?? '(given inline)'}: ${parsed.message}`);
      }
    }
    let known: KnownHostEntry[] = [];
    if (o.knownHostsFile) {
      try {
        known = parseKnownHosts(await readFile(o.knownHostsFile, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || strict) {
          throw new HostShellError(`${this.description}: cannot read known_hosts ${o.knownHostsFile}: ${(e as Error).message}`);
        }
      }
    }
    let refusal: HostKeyVerificationError | undefined;
    let learned: Buffer | undefined;
    const hostVerifier = (key: Buffer): boolean => {
      const verdict = checkHostKey(known, this.hostName, key);
      if (verdict.ok) return true;
      const fp = fingerprintOf(key);
      const what = `${keyTypeOf(key)} ${fp}`;
      const file = o.knownHostsFile ?? '(no known_hosts file)';
      if (verdict.reason === 'unknown' && !strict) { learned = key; return true; }
      refusal = new HostKeyVerificationError(
        verdict.reason === 'unknown'
          ? `${this.description}: host key verification failed: ${this.hostName} is not in ${file}; ` +
            `it offered ${what}. Add the host's key to the file (ssh-keyscan -p ${this.port} ${o.host}) after checking the fingerprint.`
          : verdict.reason === 'revoked'
            ? `${this.description}: host key verification failed: the key ${what} offered by ${this.hostName} is revoked in ${file} (line ${verdict.lines.join(', ')})`
            : `${this.description}: host key verification failed: the key offered by ${this.hostName} (${what}) does not match ` +
              `the key in ${file} (line ${verdict.lines.join(', ')}). The host key has changed, or someone is intercepting the connection; refusing to connect.`,
        this.hostName, fp);
      return false;
    };
    const client = new Client();
    const conn: Connection = { client, alive: false };
    const config: ConnectConfig = {
      host: o.host, port: this.port, username: this.username, privateKey, passphrase: o.passphrase,
      readyTimeout: o.connectTimeoutMs ?? 15_000,
      keepaliveInterval: o.keepaliveIntervalMs ?? 10_000, keepaliveCountMax: o.keepaliveCountMax ?? 3,
      hostVerifier, agent: undefined, tryKeyboard: false,
    };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      client.once('ready', () => { settled = true; conn.alive = true; resolve(); });
      client.on('error', (e) => {
        if (!settled) {
          settled = true;
          client.end();
          reject(refusal ?? new HostShellError(`${this.description}: cannot connect: ${e.message}`));
        }
      });
      client.on('close', () => {
        conn.alive = false;
        if (this.current === conn) this.current = undefined;
        if (!settled) { settled = true; reject(refusal ?? new HostShellError(`${this.description}: connection closed during set-up`)); }
      });
      try {
        client.connect(config);
      } catch (e) {
        settled = true;
        reject(new HostShellError(`${this.description}: cannot connect: ${(e as Error).message}`));
      }
    });
    if (learned && o.knownHostsFile) {
      const line = `${this.hostName} ${keyTypeOf(learned)} ${learned.toString('base64')}\n`;
      await appendFile(o.knownHostsFile, line, { mode: 0o600 });
    }
    if (this.closed) { client.end(); throw new HostShellError(`${this.description}: shell is closed`); }
    this.current = conn;
    return conn;
  }

  /** Opens an exec channel; when the cached connection turns out dead, reconnects once (the command has not started). */
  /**
   * Opens an exec channel and starts recording it at once, inside ssh2's callback: a fast command's
   * output, exit status and close can arrive in the same TCP read as the exec's success, and
   * listeners attached later (after a promise resolution) missed them (seen: 'connection lost'
   * for `true` under load, and lost stdout).
   */
  private async openExec(command: string): Promise<ExecRecording> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection();
      try {
        return await new Promise<ExecRecording>((resolve, reject) => {
          try {
            conn.client.exec(command, (err, ch) => (err ? reject(err) : resolve(recordExec(ch))));
          } catch (e) {
            reject(e as Error);
          }
        });
      } catch (e) {
        if (attempt === 0 && !conn.alive) continue;
        if (attempt === 0 && /not connected|no response|socket/i.test((e as Error).message)) {
          conn.alive = false;
          if (this.current === conn) this.current = undefined;
          conn.client.end();
          continue;
        }
        throw new HostShellError(`${this.description}: cannot start command: ${(e as Error).message}`);
      }
    }
  }

  private collect(rec: ExecRecording, argv: string[], timeoutMs: number, wrapped: boolean, stdin?: string | Buffer): Promise<CommandResult> {
    const { ch } = rec;
    return new Promise((resolve, reject) => {
      let settled = false;
      const result = (): CommandResult => ({
        stdout: Buffer.concat(rec.out).toString('utf8'), stderr: Buffer.concat(rec.err).toString('utf8'), code: rec.exitCode ?? null,
      });
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        try { ch.signal('KILL'); } catch { /* channel gone */ }
        ch.close();
        reject(new HostCommandTimeoutError(this.description, argv, timeoutMs, result()));
      }, timeoutMs);
      void rec.closed.then(() => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const r = result();
        if (rec.exitCode === undefined) {
          // No exit status (not even a signal): the connection dropped under the command.
          reject(new HostShellError(`${this.description}: connection lost while running ${argv[0]}; it may or may not have run`));
        } else if (wrapped && (r.code === 126 || r.code === 127) && /^timeout: failed to run command/m.test(r.stderr)) {
          // The executable is missing or not executable: like LocalShell's spawn error, not an exit status.
          reject(new HostShellError(`${this.description}: cannot run ${argv[0]}: ${r.stderr.trim().split('\n').pop()}`));
        } else {
          resolve(result());
        }
      });
      if (stdin !== undefined) ch.end(stdin);
      else ch.end();
    });
  }

  private async sftp(): Promise<SFTPWrapper> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection();
      conn.sftp ??= new Promise<SFTPWrapper>((resolve, reject) => {
        conn.client.sftp((e, s) => {
          if (e) { reject(e); return; }
          s.on('close', () => { if (conn.sftp) conn.sftp = undefined; });
          resolve(s);
        });
      });
      try {
        return await conn.sftp;
      } catch (e) {
        conn.sftp = undefined;
        if (attempt === 0 && !conn.alive) continue;
        throw new HostShellError(`${this.description}: cannot open SFTP: ${(e as Error).message}`);
      }
    }
  }
}

/** One SshShell (one connection) per user@host:port. */
export class SshShellPool {
  private readonly shells = new Map<string, SshShell>();

  constructor(private readonly defaults: Omit<SshShellOptions, 'host'> = {}) {}

  get(opts: Partial<SshShellOptions> & { host: string }): SshShell {
    const o: SshShellOptions = { ...this.defaults, ...opts };
    const key = `${o.username ?? 'root'}@${o.host}:${o.port ?? 22}`;
    let s = this.shells.get(key);
    if (!s) {
      s = new SshShell(o);
      this.shells.set(key, s);
    }
    return s;
  }

  async closeAll(): Promise<void> {
    const all = [...this.shells.values()];
    this.shells.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}

/** Options from `[libvirt]` (ssh_host, ssh_port, ssh_user, ssh_private_key_file, ssh_known_hosts_file, ...). */
export function sshOptionsFromConf(libvirt: {
  ssh_host: string; ssh_port: number; ssh_user: string; ssh_private_key_file?: string;
  ssh_known_hosts_file?: string; ssh_strict_host_key_checking: boolean;
  ssh_connect_timeout?: number; ssh_keepalive_interval?: number; command_timeout?: number;
}): SshShellOptions {
  const home = process.env.HOME ?? '/root';
  return {
    host: libvirt.ssh_host, port: libvirt.ssh_port, username: libvirt.ssh_user,
    privateKeyFile: libvirt.ssh_private_key_file ?? `${home}/.ssh/id_ed25519`,
    knownHostsFile: libvirt.ssh_known_hosts_file ?? `${home}/.ssh/known_hosts`,
    strictHostKeyChecking: libvirt.ssh_strict_host_key_checking,
    connectTimeoutMs: libvirt.ssh_connect_timeout !== undefined ? libvirt.ssh_connect_timeout * 1000 : undefined,
    keepaliveIntervalMs: libvirt.ssh_keepalive_interval !== undefined ? libvirt.ssh_keepalive_interval * 1000 : undefined,
    commandTimeoutMs: libvirt.command_timeout !== undefined ? libvirt.command_timeout * 1000 : undefined,
  };
}

/** An exec channel with everything it delivered so far (see openExec). */
interface ExecRecording {
  ch: ClientChannel;
  out: Buffer[];
  err: Buffer[];
  /** undefined until the exit status (or signal: null) arrives. */
  exitCode: number | null | undefined;
  closed: Promise<void>;
}

function recordExec(ch: ClientChannel): ExecRecording {
  const rec: ExecRecording = { ch, out: [], err: [], exitCode: undefined, closed: new Promise((r) => ch.once('close', () => r())) };
  ch.on('data', (b: Buffer) => rec.out.push(b));
  ch.stderr.on('data', (b: Buffer) => rec.err.push(b));
  ch.on('exit', (code: number | null) => { rec.exitCode = typeof code === 'number' ? code : null; });
  ch.on('error', () => { /* reported by close */ });
  return rec;
}
