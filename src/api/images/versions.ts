/** The microversion ranges of the images proxy (Nova answers 404 above them). Pure. */
import type { ApiVersion } from '../microversion/api-version';
import { isBetween } from '../microversion/api-version';
import { versionNotFound } from '../servers/subresource-requests';

/** MAX_PROXY_API_SUPPORT_VERSION: `/images` up to 2.35. */
export const MAX_IMAGES_VERSION = '2.35';
/** image_metadata.py: `@wsgi.api_version('2.1', '2.38')`. */
export const MAX_IMAGE_METADATA_VERSION = '2.38';

export function checkImagesVersion(v: ApiVersion): void {
  if (!isBetween(v, '2.1', MAX_IMAGES_VERSION)) throw versionNotFound();
}

export function checkImageMetadataVersion(v: ApiVersion): void {
  if (!isBetween(v, '2.1', MAX_IMAGE_METADATA_VERSION)) throw versionNotFound();
}
