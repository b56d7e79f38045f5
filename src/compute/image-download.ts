import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { NovaError } from '../common/errors';
import { KeyedLock } from '../common/keyed-lock';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { glanceFor, GlanceClient } from '../image/glance-client';
import type { CallerContext, ImageMeta } from '../objects/build.object';

/** The downloaded bytes do not match what the image service recorded. */
export class ImageChecksumMismatch extends NovaError {}

/** What the image service recorded of an image's data, to verify a download against. */
export interface ImageDigests {
  size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
}

/**
 * The compute's local image cache (Nova's `_base` directory): each image is downloaded once from
 * the image service into `<state_path>/image-cache/<id>`, streamed to a temporary file while its
 * md5 and `os_hash_algo` digests are computed, checked against what the image service recorded,
 * then renamed into place. Concurrent builds of one image wait for the one download.
 */
@Injectable()
export class ImageDownloader {
  private readonly logger = new Logger('compute.images');
  private readonly locks = new KeyedLock();

  constructor(@Inject(NOVA_CONF) private readonly conf: NovaConf) {}

  get cacheDir(): string {
    return join(this.conf.DEFAULT.state_path, 'image-cache');
  }

  /** True when the image's data is in the cache already. */
  isCached(imageId: string): Promise<boolean> {
    return exists(join(this.cacheDir, safeName(imageId)));
  }

  /** The local path of the image's data, downloading it first when the cache lacks it. */
  async fetch(ctx: Pick<CallerContext, 'user_id' | 'project_id'>, image: ImageMeta, client?: GlanceClient): Promise<string> {
    const path = join(this.cacheDir, safeName(image.id));
    const glance = client ?? glanceFor(this.conf, ctx);
    return this.locks.run(image.id, async () => {
      if (await exists(path)) return path;
      await mkdir(this.cacheDir, { recursive: true });
      const doc = await glance.getDocument(image.id);
      const digests: ImageDigests = {
        size: typeof doc.size === 'number' ? doc.size : null,
        checksum: typeof doc.checksum === 'string' ? doc.checksum : null,
        os_hash_algo: typeof doc.os_hash_algo === 'string' ? doc.os_hash_algo : null,
        os_hash_value: typeof doc.os_hash_value === 'string' ? doc.os_hash_value : null,
      };
      const data = await glance.download(image.id);
      if (!data) throw new NovaError(`Image ${image.id} has no data to boot from.`);
      const tmp = `${path}.part-${process.pid}-${Date.now()}`;
      const started = Date.now();
      try {
        const got = await writeWithDigests(data, tmp, digests.os_hash_algo);
        verify(image.id, digests, got);
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      this.logger.log(`image ${image.id} cached (${digests.size ?? '?'} bytes in ${Date.now() - started} ms)`);
      return path;
    });
  }

  /** Re-reads a cached file and checks it still matches (used after a crash or by tests). */
  async verifyCached(id: string, digests: ImageDigests): Promise<void> {
    const got = await writeWithDigests(createReadStream(join(this.cacheDir, safeName(id))), null, digests.os_hash_algo);
    verify(id, digests, got);
  }
}

function safeName(id: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith('.')) throw new NovaError(`Image id ${JSON.stringify(id)} cannot name a cache file.`);
  return id;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

interface Got {
  size: number;
  md5: string;
  hash: string | null;
}

async function writeWithDigests(data: NodeJS.ReadableStream, to: string | null, algo: string | null): Promise<Got> {
  const md5 = createHash('md5');
  const other = algo && ['sha256', 'sha384', 'sha512'].includes(algo) ? createHash(algo) : null;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      md5.update(chunk);
      other?.update(chunk);
      cb(null, chunk);
    },
  });
  if (to) await pipeline(data, tap, createWriteStream(to, { mode: 0o644 }));
  else {
    await pipeline(data, tap, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source) void _;
    });
  }
  return { size, md5: md5.digest('hex'), hash: other ? other.digest('hex') : null };
}

function verify(id: string, want: ImageDigests, got: Got): void {
  if (want.size !== null && want.size !== got.size) throw new ImageChecksumMismatch(`Image ${id}: downloaded ${got.size} bytes, the image service records ${want.size}.`);
  if (want.os_hash_value && got.hash !== null && want.os_hash_value !== got.hash) throw new ImageChecksumMismatch(`Image ${id}: ${want.os_hash_algo} of the download does not match the image service's.`);
  if (want.checksum && want.checksum !== got.md5) throw new ImageChecksumMismatch(`Image ${id}: md5 of the download does not match the image service's checksum.`);
}
