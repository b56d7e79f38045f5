/**
 * How the libvirt driver reaches its hypervisor host: run a command given as an argument array
 * (never a shell string built from user data), and move files. Two implementations: over SSH
 * (ssh2; production, the compute may run on another machine) and local (child_process; the
 * compute runs on the hypervisor host itself, and tests).
 */

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal or the timeout. */
  code: number | null;
}

export interface RunOptions {
  /** Milliseconds before the command is killed and the call rejects (default 60 000). */
  timeoutMs?: number;
  /** Data written to the command's stdin. */
  stdin?: string | Buffer;
}

export interface HostShell {
  /** A label for messages, e.g. `root@127.0.0.1:2222` or `local`. */
  readonly description: string;
  /**
   * Runs `argv[0]` with the remaining arguments, each one passed as a single argument (quoted for
   * the remote shell by the SSH implementation). Resolves with the result whatever the exit
   * status; rejects only when the command could not be run or timed out.
   */
  run(argv: string[], opts?: RunOptions): Promise<CommandResult>;
  /** Writes a file on the host (SFTP over SSH), creating it with `mode` (default 0o644). */
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Streams a local readable into a file on the host. */
  upload(path: string, data: NodeJS.ReadableStream, mode?: number): Promise<void>;
  /** Reads a file from the host. */
  readFile(path: string): Promise<Buffer>;
  /** Streams a file from the host. */
  download(path: string): Promise<NodeJS.ReadableStream>;
  close(): Promise<void>;
}

/** A command that exited non-zero, with the tool's own message (virsh's error line) kept. */
export class HostCommandError extends Error {
  constructor(readonly argv: string[], readonly result: CommandResult) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' ');
    super(`${argv[0]} ${argv[1] ?? ''} failed (exit ${result.code ?? 'signal'}): ${detail}`.replace(/\s+/g, ' ').trim());
  }
}

/** Runs and throws HostCommandError on a non-zero exit; returns stdout. */
export async function runChecked(shell: HostShell, argv: string[], opts?: RunOptions): Promise<string> {
  const r = await shell.run(argv, opts);
  if (r.code !== 0) throw new HostCommandError(argv, r);
  return r.stdout;
}
