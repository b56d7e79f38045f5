/**
 * Image files under `[image_service] image_dir`, one per image, named by its id. Uploads stream
 * to a temporary file in the same directory while md5 and sha512 are computed, then are renamed
 * into place: a file is never held in memory, and a reader never sees a partial file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredData {
  size: number;
  checksum: string;
  os_hash_algo: 'sha512';
  os_hash_value: string;
  /** From the qcow2 header (bytes 24-31), the size for raw; else null. */
  virtual_size: number | null;
}

export class ImageSizeExceeded extends Error {}

export class ImageStore {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  pathOf(id: string): string {
    if (!/^[0-9a-f-]{32,36}$/i.test(id)) throw new Error(`bad image id ${id}`);
    return join(this.dir, id);
  }

  /** Streams `source` into the image's file; on any failure the temporary file is removed. */
  async write(id: string, source: Readable, diskFormat: string | null, maxSize = Number.MAX_SAFE_INTEGER): Promise<StoredData> {
    await this.init();
    const final = this.pathOf(id);
    const tmp = join(this.dir, `.${id}.${randomBytes(6).toString('hex')}.part`);
    const md5 = createHash('md5');
    const sha = createHash('sha512');
    let size = 0;
    let head = Buffer.alloc(0);
    async function* hashing(src: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
      for await (const c of src) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : c;
        size += chunk.length;
        if (size > maxSize) throw new ImageSizeExceeded(`Image exceeds the storage quota: ${maxSize} bytes.`);
        if (head.length < 32) head = Buffer.concat([head, chunk.subarray(0, 32 - head.length)]);
        md5.update(chunk);
        sha.update(chunk);
        yield chunk;
      }
    }
    try {
      await pipeline(source, hashing, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    let virtualSize: number | null = null;
    if (diskFormat === 'raw') virtualSize = size;
    else if (diskFormat === 'qcow2' && head.length >= 32 && head.readUInt32BE(0) === 0x514649fb) virtualSize = Number(head.readBigUInt64BE(24));
    return { size, checksum: md5.digest('hex'), os_hash_algo: 'sha512', os_hash_value: sha.digest('hex'), virtual_size: virtualSize };
  }

  /** The image's bytes as a stream, or null when there is no file. */
  async read(id: string): Promise<{ stream: ReadStream; size: number } | null> {
    const path = this.pathOf(id);
    try {
      const s = await stat(path);
      return { stream: createReadStream(path), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }
}
