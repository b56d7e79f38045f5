/**
 * The files a guest boots from on the hypervisor host: its image, kernel and ramdisk located in (or
 * uploaded once to) the host's image cache, and its root disk: a qcow2 overlay on the cached base
 * grown to the flavor's root_gb, or a blank disk for a kernel/ramdisk-only image.
 */
import { DriverError, type GuestSpec } from '../../driver/compute-driver';
import { kernelProps, type BootFiles } from './guest-files';
import { runChecked, type HostShell } from './host-shell';
import { createOverlay, expectedChecksums, imageInfo, type ImageCache, type ImageSource } from './image-cache';
import type { LibvirtDriverOptions } from './driver-core';

const GiB = 1024 ** 3;

export interface BootContext {
  shell: HostShell;
  cache: ImageCache;
  fetchImage?: LibvirtDriverOptions['fetchImage'];
}

/** Uploads (once per host) and locates the image, kernel and ramdisk the guest boots from. */
export async function resolveBoot(ctx: BootContext, guest: GuestSpec, cachedOnly = false): Promise<BootFiles> {
  const img = guest.image;
  const props = img?.properties ?? {};
  const k = kernelProps(props);
  const source = (path: string | undefined, id: string): ImageSource | null => {
    if (path && !cachedOnly) return { path };
    const fetch = ctx.fetchImage;
    if (!fetch) return null;
    const owner = { user_id: guest.user_id ?? '', project_id: guest.project_id ?? '' };
    return { stream: async () => (await fetch(id, owner)) ?? Promise.reject(new DriverError(`libvirt: image ${id} has no data`)) };
  };
  let base: BootFiles['base'] = null;
  if (img) {
    const usable = (guest.image_path && !cachedOnly) || (await ctx.cache.lookup(img.id)) !== null || ctx.fetchImage !== undefined;
    if (usable) {
      const path = await ctx.cache.ensure(img.id, source(guest.image_path, img.id), expectedChecksums(props));
      base = { path, format: (await imageInfo(ctx.shell, path)).format === 'raw' ? 'raw' : 'qcow2' };
    } else if (!k.kernelId) {
      throw new DriverError(`libvirt: no data for image ${img.id}: the guest spec has no image_path, the host's cache does not have it and no image fetcher is configured`);
    } // a kernel/ramdisk image without a disk of its own: a blank root disk
  }
  const kernel = k.kernelId ? await ctx.cache.ensure(k.kernelId, source(guest.kernel_path, k.kernelId)) : null;
  const ramdisk = k.kernelId && k.ramdiskId ? await ctx.cache.ensure(k.ramdiskId, source(guest.ramdisk_path, k.ramdiskId)) : null;
  return { base, kernel, ramdisk, cmdline: k.cmdline };
}

/** A qcow2 overlay on the cached base (grown to the flavor's root disk), or a blank disk. */
export async function createRootDisk(shell: HostShell, guest: GuestSpec, boot: BootFiles, disk: string): Promise<void> {
  const want = Math.max(guest.root_gb, 0) * GiB;
  if (boot.base) {
    const { virtualSize } = await imageInfo(shell, boot.base.path);
    await createOverlay(shell, boot.base.path, boot.base.format, disk, Math.max(want, virtualSize));
  } else {
    await runChecked(shell, ['qemu-img', 'create', '-q', '-f', 'qcow2', disk, String(want || GiB)]);
  }
}

