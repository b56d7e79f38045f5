/**
 * The service catalog of the built-in identity service. Pure: URLs in, Keystone's catalog out.
 * Every service gets the same URL on its public, internal and admin interfaces.
 */

export interface CatalogUrls {
  /** The identity service itself, e.g. http://127.0.0.1:5000/v3 */
  identity: string;
  /** The Compute API, e.g. http://127.0.0.1:8774/v2.1 */
  compute?: string;
  /** The image service, e.g. http://127.0.0.1:9292 */
  image?: string;
}

export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region: string;
  region_id: string;
  url: string;
}

export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

const SERVICES: Array<{ key: keyof CatalogUrls; type: string; name: string }> = [
  { key: 'compute', type: 'compute', name: 'nova' },
  { key: 'image', type: 'image', name: 'glance' },
  { key: 'identity', type: 'identity', name: 'keystone' },
];

/** Keystone's `catalog` array of a token. Ids are stable (derived from type and interface). */
export function buildCatalog(urls: CatalogUrls, region: string): CatalogService[] {
  const out: CatalogService[] = [];
  for (const s of SERVICES) {
    const url = urls[s.key];
    if (!url) continue;
    out.push({
      id: `${s.type}-service`,
      type: s.type,
      name: s.name,
      endpoints: (['public', 'internal', 'admin'] as const).map((iface) => ({ id: `${s.type}-${iface}`, interface: iface, region, region_id: region, url })),
    });
  }
  return out;
}

/** The host to put in a URL for a listener on `listen`: `override`, else the address (0.0.0.0/:: → 127.0.0.1); IPv6 in brackets. */
export function urlHost(listen: string, override?: string): string {
  const h = override?.trim() || (listen === '0.0.0.0' || listen === '::' || listen === '' ? '127.0.0.1' : listen);
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

export function serviceUrl(listen: string, port: number, path: string, override?: string): string {
  return `http://${urlHost(listen, override)}:${port}${path}`;
}
