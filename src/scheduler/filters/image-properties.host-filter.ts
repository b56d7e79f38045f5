import type { HostState, SupportedInstance } from '../host-state';
import type { HostFilter } from './index';

/** Nova's `Architecture.canonicalize` (without the validity check). */
export function canonicalizeArch(name: string): string {
  let n = name.toLowerCase();
  if (n === 'i386' || n === 'i486' || n === 'i586' || n === 'x86_32' || n === 'x86_32p') n = 'i686';
  if (n === 'amd64') n = 'x86_64';
  return n;
}

/** Nova's `HVType.canonicalize`. */
export function canonicalizeHvType(name: string): string {
  const n = name.toLowerCase();
  return n === 'xapi' ? 'xen' : n;
}

/** Nova's `VMMode.canonicalize`. */
export function canonicalizeVmMode(name: string): string {
  const n = name.toLowerCase();
  if (n === 'pv') return 'xen';
  if (n === 'hv' || n === 'baremetal') return 'hvm';
  return n;
}

/** oslo `convert_version_to_str` as a tuple: 6002001 -> [6, 2, 1]. */
export function versionIntToParts(v: number): number[] {
  const parts: number[] = [];
  let x = Math.trunc(v);
  while (x !== 0) {
    parts.unshift(x % 1000);
    x = Math.trunc(x / 1000);
  }
  return parts;
}

function cmpVersions(a: number[], b: number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A `VersionPredicate` condition list such as `>=6.0, <7.0` against a version tuple. A condition
 * that does not parse makes the predicate false.
 */
export function versionSatisfies(version: number[], predicate: string): boolean {
  for (const cond of predicate.split(',')) {
    const m = /^\s*(<=|>=|==|!=|<|>)\s*(\d+(?:\.\d+)*)\s*$/.exec(cond);
    if (!m) return false;
    const c = cmpVersions(version, m[2].split('.').map(Number));
    const ok = m[1] === '<' ? c < 0 : m[1] === '<=' ? c <= 0 : m[1] === '>' ? c > 0 : m[1] === '>=' ? c >= 0
      : m[1] === '==' ? c === 0 : c !== 0;
    if (!ok) return false;
  }
  return true;
}

/** Nova's `_compare_props` for one property: not requested, or one of the triple's values. */
function inTriple(t: SupportedInstance, w: string | null): boolean {
  return !w || t[0] === w || t[1] === w || t[2] === w;
}

function prop(props: Record<string, unknown>, key: string): string | null {
  const v = props[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * Nova's ImagePropertiesFilter: the image's `hw_architecture`, `img_hv_type` and `hw_vm_mode`
 * (canonicalised) must all appear in one of the host's `supported_instances` triples, and the
 * hypervisor version must satisfy `img_hv_requested_version`. Images without those properties
 * pass everywhere; a host advertising nothing fails any that has them.
 */
interface ImageRequirement {
  /** Canonical [arch, hv type, vm mode], null where not requested; null when none is. */
  wanted: (string | null)[] | null;
  requiredVersion: string | null;
}

function imageRequirement(props: Record<string, unknown> | undefined): ImageRequirement {
  if (!props) return { wanted: null, requiredVersion: null };
  const arch = prop(props, 'hw_architecture');
  const hv = prop(props, 'img_hv_type');
  const mode = prop(props, 'hw_vm_mode');
  const wanted = [arch && canonicalizeArch(arch), hv && canonicalizeHvType(hv), mode && canonicalizeVmMode(mode)];
  return { wanted: wanted.some((w) => w) ? wanted : null, requiredVersion: prop(props, 'img_hv_requested_version') };
}

/**
 * Nova's ImagePropertiesFilter: the image's `hw_architecture`, `img_hv_type` and `hw_vm_mode`
 * (canonicalised) must all appear in one of the host's `supported_instances` triples, and the
 * hypervisor version must satisfy `img_hv_requested_version`. Images without those properties
 * pass everywhere; a host advertising nothing fails any that has them.
 */
export function imagePropertiesFilter(): HostFilter {
  // The image does not change within a request: canonicalise its properties once.
  let lastProps: Record<string, unknown> | undefined | null = null;
  let req: ImageRequirement = { wanted: null, requiredVersion: null };
  const requirement = (props: Record<string, unknown> | undefined): ImageRequirement => {
    if (props !== lastProps) {
      req = imageRequirement(props);
      lastProps = props;
    }
    return req;
  };
  return {
    name: 'ImagePropertiesFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => requirement(spec.image?.properties).wanted !== null,
    hostPasses(host: HostState, spec) {
      const { wanted, requiredVersion } = requirement(spec.image?.properties);
      if (wanted === null) return true;
      const supported = host.supported_instances;
      if (supported.length === 0) return false;
      const versionOk = !(host.hypervisor_version && requiredVersion)
        || versionSatisfies(versionIntToParts(host.hypervisor_version), requiredVersion);
      if (!versionOk) return false;
      for (let i = 0; i < supported.length; i++) {
        const supp = supported[i];
        if (inTriple(supp, wanted[0]) && inTriple(supp, wanted[1]) && inTriple(supp, wanted[2])) return true;
      }
      return false;
    },
  };
}
