/**
 * Generates nova.conf.example from the option declarations: every section and option, commented
 * out, with its type, default, unit, help and deprecated names. The output is deterministic:
 * machine-dependent defaults show their `sampleDefault` (e.g. `<hostname>`), never this machine's.
 */
import { kindLabel, OptDef } from './option-types';
import { SECTION_NAMES, sectionDef } from './options';

const WIDTH = 79;

/** Wraps `text` into `# `-prefixed lines of at most 79 columns (a longer single word stays whole). */
export function wrapComment(text: string, width = WIDTH): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    if (out.length) out.push('#');
    let line = '#';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '#' && line.length + 1 + word.length > width) {
        out.push(line);
        line = '#';
      }
      line += ` ${word}`;
    }
    if (line !== '#') out.push(line);
  }
  return out;
}

function defaultLines(name: string, opt: OptDef): string[] {
  if (opt.sampleDefault !== undefined) return [`#${name} = ${opt.sampleDefault}`];
  if (typeof opt.default === 'function') throw new Error(`option ${name} has a machine-dependent default but no sampleDefault`);
  const values = opt.default === undefined ? [] : opt.format(opt.default);
  if (values.length === 0) return [`#${name} = <None>`];
  return values.map((v) => (v === '' ? `#${name} =` : `#${name} = ${v}`));
}

function describe(section: string, name: string, opt: OptDef): string[] {
  const lines = ['#', ...wrapComment(opt.help), '#'];
  const facts: string[] = [`Type: ${kindLabel(opt)}`];
  if (opt.min !== undefined && opt.kind !== 'port') facts.push(`Minimum: ${opt.min}`);
  if (opt.max !== undefined && opt.kind !== 'port') facts.push(`Maximum: ${opt.max}`);
  if (opt.unit) facts.push(`Unit: ${opt.unit}`);
  if (opt.choices) facts.push(`${opt.kind === 'list' ? 'Allowed items' : 'Allowed values'}: ${opt.choices.join(', ')}`);
  if (opt.secret) facts.push('Secret: never logged or shown in errors');
  for (const d of opt.deprecatedNames) facts.push(`Deprecated group/name - [${d.section ?? section}]/${d.name}`);
  if (opt.ignored !== undefined) facts.push(`Ignored by nova-ts: ${opt.ignored}`);
  for (const f of facts) lines.push(...wrapComment(f));
  return [...lines, ...defaultLines(name, opt)];
}

export function generateSample(): string {
  const out: string[] = [
    '# nova.conf.example: every option nova-ts reads, commented out, with its',
    '# default. Generated from the declarations in src/config/options/ by',
    '# src/config/sample-generator.ts; do not edit by hand.',
  ];
  for (const s of SECTION_NAMES) {
    const def = sectionDef(s);
    if (!def) continue;
    out.push('', `[${s}]`, '', ...wrapComment(def.help));
    for (const [name, opt] of Object.entries(def.options)) out.push('', ...describe(s, name, opt));
  }
  return `${out.join('\n')}\n`;
}
