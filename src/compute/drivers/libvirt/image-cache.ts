/**
 * Per-host cache of base images (and kernels/ramdisks), keyed by image id, under
 * `<instances_path>/<image_cache_subdirectory_name>`: each image is uploaded once (to a temp name,
 * then renamed), its sha256 computed while streaming and compared with `sha256sum` on the host —
 * and with the image service's checksum when the image carries one — and recorded next to it
 * (`<id>.sha256`). Guest disks are qcow2 overlays on these files.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import type { HostShell } from './host-shell';
import { runChecked } from './host-shell';

export type ImageSource = { path: string } | { stream: () => Promise<NodeJS.ReadableStream> };

/** Checksums the image service gave: Glance's md5 `checksum` and/or `os_hash_algo` + `os_hash_value`. */
export interface ExpectedChecksums {
  md5?: string;
  algo?: string;
  value?: string;
}

export class ImageChecksumError extends Error {}

export class ImageCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly shell: HostShell,
    readonly dir: string,
  ) {}

  /** Host path of the cached image (`dir/<safe id>`). */
  pathFor(imageId: string): string {
    return `${this.dir}/${cacheKey(imageId)}`;
  }

  /** The cached file's path when present (and its checksum record too), else null. */
  async lookup(imageId: string): Promise<string | null> {
    const p = this.pathFor(imageId);
    const r = await this.shell.run(['test', '-f', p, '-a', '-f', `${p}.sha256`]);
    return r.code === 0 ? p : null;
  }

  /**
   * The host path of `imageId`, uploading it from `source` first when the host does not have it.
   * Concurrent calls for one id share the upload.
   */
  async ensure(imageId: string, source: ImageSource | null, expected: ExpectedChecksums = {}): Promise<string> {
    const key = cacheKey(imageId);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.fetch(imageId, source, expected).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async fetch(imageId: string, source: ImageSource | null, expected: ExpectedChecksums): Promise<string> {
    const final = this.pathFor(imageId);
    const cached = await this.lookup(imageId);
    if (cached) {
      const recorded = (await this.shell.readFile(`${final}.sha256`)).toString('utf8').trim();
      const want = expected.algo === 'sha256' ? expected.value : undefined;
      if (!want || want === recorded) return cached;
    }
    if (!source) throw new ImageChecksumError(`image ${imageId} is not in the image cache of ${this.shell.description} and no source was given`);
    await runChecked(this.shell, ['mkdir', '-p', this.dir]);
    const tmp = `${final}.part-${randomBytes(4).toString('hex')}`;
    const sha256 = createHash('sha256');
    const md5 = expected.md5 ? createHash('md5') : null;
    const other = expected.algo && expected.value && expected.algo !== 'sha256' ? createHash(expected.algo) : null;
    try {
      const input: NodeJS.ReadableStream = 'path' in source ? createReadStream(source.path) : await source.stream();
      const hashing = hashThrough([sha256, md5, other]);
      input.on('error', (e: Error) => hashing.destroy(e));
      await this.shell.upload(tmp, input.pipe(hashing), 0o644);
      const local = sha256.digest('hex');
      if (md5 && md5.digest('hex') !== expected.md5) throw new ImageChecksumError(`image ${imageId}: md5 does not match the image service's checksum`);
      if (other && other.digest('hex') !== expected.value) throw new ImageChecksumError(`image ${imageId}: ${expected.algo} does not match the image service's os_hash_value`);
      if (expected.algo === 'sha256' && expected.value && expected.value !== local) throw new ImageChecksumError(`image ${imageId}: sha256 does not match the image service's os_hash_value`);
      const remote = (await runChecked(this.shell, ['sha256sum', tmp])).split(/\s+/)[0];
      if (remote !== local) throw new ImageChecksumError(`image ${imageId}: the copy on ${this.shell.description} is corrupt (sha256 ${remote} != ${local})`);
      await runChecked(this.shell, ['mv', '-f', tmp, final]);
      await this.shell.writeFile(`${final}.sha256`, `${local}\n`);
      return final;
    } finally {
      await this.shell.run(['rm', '-f', tmp]).catch(() => undefined);
    }
  }

  /** Removes a cached image (e.g. after the image was deleted). */
  async evict(imageId: string): Promise<void> {
    const p = this.pathFor(imageId);
    await runChecked(this.shell, ['rm', '-f', p, `${p}.sha256`]);
  }
}

/** The checksums an image's properties carry (Glance `checksum`, `os_hash_algo`/`os_hash_value`). */
export function expectedChecksums(props: Record<string, unknown>): ExpectedChecksums {
  const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v.toLowerCase() : undefined);
  const algo = s(props.os_hash_algo);
  const ok = algo !== undefined && ['sha256', 'sha512', 'sha384', 'sha1', 'md5'].includes(algo);
  return { md5: s(props.checksum), algo: ok ? algo : undefined, value: ok ? s(props.os_hash_value) : undefined };
}

/** Image ids are uuids; anything else becomes a hash so it can never walk out of the cache dir. */
export function cacheKey(imageId: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(imageId) ? imageId : `h-${createHash('sha256').update(imageId).digest('hex').slice(0, 32)}`;
}

function hashThrough(hashes: Array<Hash | null>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      for (const h of hashes) h?.update(chunk);
      cb(null, chunk);
    },
  });
}

/** `qemu-img create -f qcow2 -F <fmt> -b base overlay [size]`: a copy-on-write disk on a cached base. */
export async function createOverlay(shell: HostShell, base: string, baseFormat: string, overlay: string, sizeBytes?: number): Promise<void> {
  const argv = ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', base, overlay];
  if (sizeBytes !== undefined) argv.push(String(sizeBytes));
  await runChecked(shell, argv, { timeoutMs: 120_000 });
}

/** Virtual size (bytes) and format of a disk image on the host. */
export async function imageInfo(shell: HostShell, path: string): Promise<{ virtualSize: number; format: string }> {
  const out = await runChecked(shell, ['qemu-img', 'info', '-U', '--output=json', path]);
  const j = JSON.parse(out) as { 'virtual-size': number; format: string };
  return { virtualSize: j['virtual-size'], format: j.format };
}
