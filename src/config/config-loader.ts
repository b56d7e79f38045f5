/**
 * Loads nova.conf the way oslo.config does: `--config-file`s in order, then each `--config-dir`'s
 * `*.conf` files in name order; later files override earlier ones (multi-valued options add up);
 * `$option` references are expanded after all files are merged; then every value is converted
 * and checked. Every problem is collected and thrown at once as one ConfigError; secrets never
 * appear in messages. This is the only config module that touches the file system.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../common/errors';
import { IniDocument, parseIni } from './ini-parser';
import { Interpolator, RefTarget } from './interpolate';
import { defaultOf, MachineFacts, OptDef, showValue } from './option-types';
import {
  findOption, isKnownSection, isSecretKey, KNOWN_UNUSED_SECTIONS, NovaConf, SECTION_NAMES, sectionDef,
} from './options';

export interface LoadConfigOptions {
  configFiles: string[];
  configDirs: string[];
  /** e.g. from --host */
  overrides?: Array<{ section: string; name: string; value: string }>;
}

export interface LoadedConfig {
  conf: NovaConf;
  warnings: string[];
  /** files actually read, in order */
  files: string[];
}

/** The machine-dependent defaults: hostname, and the first non-internal IPv4 address (else 127.0.0.1). */
export function machineFacts(): MachineFacts {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return { hostname: hostname(), ipv4: a.address };
    }
  }
  return { hostname: hostname(), ipv4: '127.0.0.1' };
}

/** Reads and validates the configuration. Throws ConfigError listing every error. */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const errors: string[] = [];
  const docs: IniDocument[] = [];
  const read = (path: string, what: string): void => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push(code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${code ?? String(e)}`);
      return;
    }
    docs.push(parseIni(text, path, isSecretKey));
  };
  for (const f of options.configFiles) read(f, 'config file');
  for (const dir of options.configDirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
      names = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      errors.push(code === 'ENOENT' ? `config dir not found: ${dir}` : `cannot read config dir ${dir}: ${code ?? String(e)}`);
      continue;
    }
    for (const n of names) read(join(dir, n), 'config file');
  }
  return build(docs, options.overrides ?? [], machineFacts(), errors);
}

/** Same as loadConfig, from a string (tests, `nova config check -`). */
export function parseConfigText(text: string, fileName = 'nova.conf'): LoadedConfig {
  return build([parseIni(text, fileName, isSecretKey)], [], machineFacts(), []);
}

// ---------------------------------------------------------------------------------------------

interface Occurrence {
  readonly value: string;
  readonly origin: string;
  readonly fileIndex: number;
  readonly line: number;
}

const COMMAND_LINE = 'command line';

/** oslo lower-cases section names, except DEFAULT. */
const normaliseSection = (name: string): string => (name === 'DEFAULT' ? name : name.toLowerCase());

const key = (section: string, name: string): string => `${section}\u0000${name}`;

/** The names an option may be set under: its own first, then its deprecated names. */
function namesOf(section: string, name: string, opt: OptDef): Array<[string, string]> {
  return [[section, name], ...opt.deprecatedNames.map((d): [string, string] => [d.section ?? section, d.name])];
}

function build(docs: IniDocument[], overrides: NonNullable<LoadConfigOptions['overrides']>, machine: MachineFacts,
  errors: string[]): LoadedConfig {
  const store = new Map<string, Occurrence[]>();
  const add = (section: string, name: string, occ: Occurrence): void => {
    const k = key(section, name);
    store.set(k, [...(store.get(k) ?? []), occ]);
  };

  docs.forEach((doc, fileIndex) => {
    errors.push(...doc.errors);
    const reported = new Set<string>();
    for (const sec of doc.sections) {
      const name = normaliseSection(sec.name);
      if (!isKnownSection(name)) {
        if (!reported.has(name)) errors.push(`${doc.fileName}: unknown section [${sec.name}]${suggestSection(sec.name)}`);
        reported.add(name);
        continue;
      }
      for (const e of sec.entries) add(name, e.key, { value: e.value, origin: doc.fileName, fileIndex, line: e.line });
    }
  });
  for (const o of overrides) {
    if (!findOption(o.section, o.name)) errors.push(`${COMMAND_LINE}: unknown option [${o.section}] ${o.name}`);
    else add(o.section, o.name, { value: o.value, origin: COMMAND_LINE, fileIndex: docs.length, line: 0 });
  }

  /** The occurrences that set a declared option: all of them for multi options, else the winner. */
  const chosen = new Map<string, Occurrence[]>();
  const occurrencesOf = (section: string, name: string, opt: OptDef): Occurrence[] => {
    const k = key(section, name);
    const cached = chosen.get(k);
    if (cached) return cached;
    const perName = namesOf(section, name, opt).map(([s, n]) => store.get(key(s, n)) ?? []);
    let result: Occurrence[];
    if (opt.multi) {
      result = perName.flat().sort((a, b) => a.fileIndex - b.fileIndex || a.line - b.line);
    } else {
      // The latest file wins; within one file the current name beats the deprecated ones (oslo's rule).
      const candidates = perName.map((occs) => occs[occs.length - 1]).filter((o): o is Occurrence => o !== undefined);
      const top = Math.max(-1, ...candidates.map((o) => o.fileIndex));
      const winner = candidates.find((o) => o.fileIndex === top);
      result = winner ? [winner] : [];
    }
    chosen.set(k, result);
    return result;
  };

  const lookup = (section: string, name: string): RefTarget | undefined => {
    const opt = findOption(section, name);
    if (!opt) {
      const occs = store.get(key(section, name));
      const last = occs?.[occs.length - 1];
      return last ? { value: last.value, secret: isSecretKey(name) } : undefined;
    }
    const occs = occurrencesOf(section, name, opt);
    if (occs.length) return { value: occs.map((o) => o.value).join(','), secret: opt.secret };
    const d = defaultOf(opt, machine);
    const value = typeof d === 'string' ? d : d === undefined ? '' : opt.format(d).join(',');
    return { value, secret: opt.secret };
  };
  const interpolator = new Interpolator(lookup);

  const conf: Record<string, Record<string, unknown>> = {};
  for (const s of SECTION_NAMES) {
    const values: Record<string, unknown> = {};
    for (const [name, opt] of Object.entries(sectionDef(s)?.options ?? {})) {
      values[name] = resolveOption(s, name, opt);
    }
    conf[s] = values;
  }

  function resolveOption(section: string, name: string, opt: OptDef): unknown {
    const occs = occurrencesOf(section, name, opt);
    const d = defaultOf(opt, machine);
    if (occs.length === 0 && typeof d !== 'string') return d;
    const where = (origin: string): string => `${origin}: [${section}] ${name}`;
    const origin = occs[occs.length - 1]?.origin ?? '(default)';
    let raws: string[];
    let tainted = false;
    if (opt.multi) {
      raws = [];
      for (const o of occs) {
        const r = interpolator.expand(o.value, section, opt.secret);
        if (!r.ok) {
          errors.push(`${where(o.origin)}: ${r.error}`);
          return d;
        }
        raws.push(r.value);
        tainted ||= r.secret;
      }
    } else {
      const r = interpolator.resolve(section, name);
      if (!r || !r.ok) {
        errors.push(`${where(origin)}: ${r ? r.error : 'no value'}`);
        return d;
      }
      raws = [r.value];
      tainted = r.secret;
    }
    const converted = opt.convert(raws);
    if (converted.ok) return converted.value;
    const shown = showValue(tainted ? { secret: true, kind: opt.kind } : opt, raws[raws.length - 1] ?? '');
    errors.push(`${where(origin)}: ${converted.error}, got '${shown}'`);
    return d;
  }

  const warnings = docs.map(unusedWarning).filter((w): w is string => w !== undefined);

  const DEFAULT = conf['DEFAULT'] as { report_interval: number; service_down_time: number };
  if (DEFAULT.service_down_time <= DEFAULT.report_interval) {
    const raised = Math.trunc(DEFAULT.report_interval * 2.5);
    warnings.push(`[DEFAULT] service_down_time (${DEFAULT.service_down_time}) must be greater than report_interval ` +
      `(${DEFAULT.report_interval}); using service_down_time = ${raised}`);
    DEFAULT.service_down_time = raised;
  }

  if (errors.length) throw new ConfigError(errors);
  return { conf: conf as unknown as NovaConf, warnings, files: docs.map((d) => d.fileName) };
}

/** Maps `[section] deprecated_name` to the option it now names. */
const ALIASES = new Map<string, { section: string; name: string }>();
for (const s of SECTION_NAMES) {
  for (const [name, opt] of Object.entries(sectionDef(s)?.options ?? {})) {
    for (const [ds, dn] of namesOf(s, name, opt).slice(1)) ALIASES.set(key(ds, dn), { section: s, name });
  }
}

/**
 * One line per file naming the options it sets that nova-ts ignores (unknown ones, and declared
 * ones it accepts without using) and the deprecated names it uses; undefined if there are none.
 */
function unusedWarning(doc: IniDocument): string | undefined {
  const unknown: string[] = [];
  const byReason = new Map<string, string[]>();
  const deprecated: string[] = [];
  const seen = new Set<string>();
  for (const sec of doc.sections) {
    const section = normaliseSection(sec.name);
    if (!isKnownSection(section)) continue;
    for (const { key: name } of sec.entries) {
      if (seen.has(key(section, name))) continue;
      seen.add(key(section, name));
      const label = `[${section}] ${name}`;
      const opt = findOption(section, name);
      const alias = ALIASES.get(key(section, name));
      if (opt?.ignored !== undefined) byReason.set(opt.ignored, [...(byReason.get(opt.ignored) ?? []), label]);
      else if (opt) continue;
      else if (alias) {
        deprecated.push(`${label} (now ${alias.section === section ? '' : `[${alias.section}] `}${alias.name})`);
      } else unknown.push(`${label}${suggestOption(section, name)}`);
    }
  }
  const ignored = [unknown.join(', '), ...[...byReason].map(([reason, labels]) => `${labels.join(', ')} (${reason})`)]
    .filter((x) => x !== '');
  const parts: string[] = [];
  if (ignored.length) parts.push(`ignoring options nova-ts does not use: ${ignored.join(', ')}`);
  if (deprecated.length) parts.push(`deprecated option names (still read): ${deprecated.join(', ')}`);
  return parts.length ? `${doc.fileName}: ${parts.join('; ')}` : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(w.length / 4)) + 1;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function suggestSection(name: string): string {
  const s = closest(name, [...SECTION_NAMES, ...KNOWN_UNUSED_SECTIONS]);
  return s ? ` (did you mean [${s}]?)` : '';
}

function suggestOption(section: string, name: string): string {
  const options = Object.keys(sectionDef(section)?.options ?? {});
  const s = name.length >= 6 ? closest(name, options) : undefined;
  return s && distance(name, s) <= 2 ? ` (did you mean ${s}?)` : '';
}
