import type { HostState } from '../host-state';
import { pyFloat } from '../host-state';
import type { HostFilter } from './index';

type Op = (x: string, y: string) => boolean;
const num = (f: (a: number, b: number) => boolean): Op => (x, y) => {
  const a = pyFloat(x);
  const b = pyFloat(y);
  // Python's float() raises on these; the host does not match.
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  return f(a, b);
};

const OPS: Record<string, Op> = {
  '=': num((a, b) => a >= b),
  '==': num((a, b) => a === b),
  '!=': num((a, b) => a !== b),
  '>=': num((a, b) => a >= b),
  '<=': num((a, b) => a <= b),
  '<in>': (x, y) => x.includes(y),
  's==': (x, y) => x === y,
  's!=': (x, y) => x !== y,
  's<': (x, y) => x < y,
  's<=': (x, y) => x <= y,
  's>': (x, y) => x > y,
  's>=': (x, y) => x >= y,
};

/**
 * Nova's `extra_specs_ops.match(value, req)`: `req` is `<op> operand...`; without a known operator
 * it is a plain string equality. `<or>` takes alternatives, `<all-in>` needs every word in value.
 */
export function extraSpecsMatch(value: string | null | undefined, req: string): boolean {
  const words = req.split(/\s+/).filter((w) => w !== '');
  const op = words.length > 0 ? words.shift() : undefined;
  const isAllIn = op === '<all-in>';
  const method = op !== undefined ? OPS[op] : undefined;
  if (op !== '<or>' && !method && !isAllIn) return value === req;
  if (value === null || value === undefined) return false;
  if (op === '<or>') {
    // <or> v1 <or> v2 <or> v3
    for (;;) {
      const w = words.shift();
      if (w === undefined) return false;
      if (w === value) return true;
      if (words.length === 0) return false;
      words.shift();
      if (words.length === 0) return false;
    }
  }
  if (words.length === 0) return false;
  if (isAllIn) return words.every((w) => value.includes(w));
  return (method as Op)(value, words[0]);
}

/** Python's `str()` of a capability value. */
function pyStr(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

const MISSING = Symbol('missing');

/** Walks `scope` through the host state attributes, then `stats`, then nested dicts / JSON. */
function getCapability(host: HostState, scope: string[]): unknown {
  let cap: unknown = host;
  for (const part of scope) {
    if (typeof cap === 'string') {
      try {
        cap = JSON.parse(cap);
      } catch {
        return MISSING;
      }
    }
    if (cap === host) {
      const attr = (host as unknown as Record<string, unknown>)[part];
      cap = attr === undefined || attr === null ? host.stats[part] : attr;
    } else if (cap !== null && typeof cap === 'object' && !Array.isArray(cap) && !(cap instanceof Map)) {
      cap = (cap as Record<string, unknown>)[part];
    } else {
      return MISSING;
    }
    if (cap === undefined || cap === null) return MISSING;
  }
  return cap;
}

/**
 * Nova's ComputeCapabilitiesFilter: every flavor extra spec that is bare (and names a host state
 * attribute or stat) or scoped `capabilities:` must match the host's value with extra_specs_ops.
 * Nested keys (`capabilities:cpu_info:arch`) walk dicts and JSON strings.
 */
export function computeCapabilitiesFilter(): HostFilter {
  // Parse the flavor's specs once per request: [bare key or null, scope, requirement].
  let lastSpecs: Record<string, string> | null = null;
  let parsed: [string | null, string[], string][] = [];
  const parse = (specs: Record<string, string>): [string | null, string[], string][] => {
    if (specs !== lastSpecs) {
      parsed = [];
      for (const [key, req] of Object.entries(specs)) {
        const scope = key.split(':');
        if (scope.length === 1) parsed.push([key, scope, req]);
        else if (scope[0] === 'capabilities') parsed.push([null, scope.slice(1), req]);
      }
      lastSpecs = specs;
    }
    return parsed;
  };
  return {
    name: 'ComputeCapabilitiesFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => parse(spec.flavor.extra_specs).length > 0,
    hostPasses(host, spec) {
      for (const [bare, scope, req] of parse(spec.flavor.extra_specs)) {
        // A bare key only counts when the host has such an attribute or stat.
        if (bare !== null && (host as unknown as Record<string, unknown>)[bare] === undefined && !(bare in host.stats)) continue;
        const cap = getCapability(host, scope);
        if (cap === MISSING) return false;
        if (!extraSpecsMatch(pyStr(cap), req)) return false;
      }
      return true;
    },
  };
}
