/**
 * A Writable into a file on an SFTP server that keeps several WRITE requests in flight. ssh2's own
 * WriteStream waits for each write's acknowledgement before sending the next chunk, so an upload
 * costs one round trip per 64 KiB: ~8 s for a 14 MiB kernel on a loaded machine, where this one
 * (16 requests of 64 KiB in flight, like OpenSSH's sftp) takes a fraction of that. Written
 * positions are assigned in order, so the file is exactly the bytes written; the file is closed
 * (and any failed write reported) before `finish`.
 */
import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

export class ParallelSftpWriter extends Writable {
  private handle: Buffer | null = null;
  private position = 0;
  private inflight = 0;
  private failed: Error | null = null;
  /** Called when a request completes (a slot is free, or everything is acknowledged). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly path: string,
    private readonly mode: number,
    private readonly maxInflight = 16,
    private readonly chunk = 64 * 1024,
  ) {
    super({ highWaterMark: maxInflight * chunk });
  }

  override _construct(cb: (err?: Error | null) => void): void {
    this.sftp.open(this.path, 'w', { mode: this.mode }, (err, handle) => {
      if (err) return cb(err);
      this.handle = handle;
      cb();
    });
  }

  override _write(data: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let off = 0;
    const pump = (): void => {
      if (this.failed) return cb(this.failed);
      while (off < data.length && this.inflight < this.maxInflight) {
        const len = Math.min(this.chunk, data.length - off);
        const at = this.position;
        this.position += len;
        this.inflight++;
        this.sftp.write(this.handle!, data, off, len, at, (err) => {
          this.inflight--;
          if (err && !this.failed) this.failed = err;
          const w = this.wake;
          this.wake = null;
          w?.();
        });
        off += len;
      }
      if (off >= data.length) return cb(); // sent; acknowledgements are awaited in _final
      this.wake = pump;
    };
    pump();
  }

  override _final(cb: (err?: Error | null) => void): void {
    const settle = (): void => {
      if (this.inflight > 0) {
        this.wake = settle;
        return;
      }
      if (this.failed) return cb(this.failed);
      const h = this.handle!;
      this.handle = null;
      this.sftp.close(h, (err) => cb(err ?? null));
    };
    settle();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const h = this.handle;
    this.handle = null;
    if (h) this.sftp.close(h, () => cb(err));
    else cb(err);
  }
}
