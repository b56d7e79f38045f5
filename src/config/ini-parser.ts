/**
 * The INI dialect of oslo.config (its `iniparser` module), pure: text in, sections out.
 *
 * - `[section]` headers; `key = value`, `key=value` and `key: value` (the first `=` or `:`
 *   splits); one pair of matching quotes around a whole value is removed.
 * - Full-line comments start with `#` or `;`. There are no inline comments: `a = b # c` is `b # c`.
 * - A line starting with whitespace continues the previous value (joined with a newline); a
 *   blank line ends a value, so a continuation line after it is an error. Unlike oslo, an
 *   indented `#`/`;` line is a comment rather than part of the value.
 * - Repeated keys are all kept, in order; the loader decides whether the last wins or they add up.
 *
 * Errors are collected (`file:line: message`), never thrown, so a caller can report all of them.
 */

export interface IniEntry {
  readonly key: string;
  readonly value: string;
  /** Line of the key (1-based). */
  readonly line: number;
}

export interface IniSection {
  /** The name as written between the brackets. */
  readonly name: string;
  readonly line: number;
  readonly entries: IniEntry[];
}

export interface IniDocument {
  readonly fileName: string;
  /** In file order; a section written twice appears twice. */
  readonly sections: IniSection[];
  readonly errors: string[];
}

/**
 * Tells the parser which keys hold secrets, so that a malformed line that starts with such a key
 * is not echoed in an error message.
 */
export type SecretKeyTest = (key: string) => boolean;

const MAX_SHOWN = 60;

function shown(line: string, isSecret: SecretKeyTest): string {
  const text = line.trim();
  const first = /^[^\s=:]+/.exec(text)?.[0] ?? '';
  if (first && isSecret(first)) return `${first} ****`;
  if (/:\/\/[^\s/@]*:[^\s@]*@/.test(text)) return `${text.slice(0, text.indexOf('://') + 3)}****`;
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

export function parseIni(text: string, fileName = 'nova.conf', isSecret: SecretKeyTest = () => false): IniDocument {
  const doc: IniDocument = { fileName, sections: [], errors: [] };
  let section: IniSection | undefined;
  let pending: { key: string; lines: string[]; line: number } | undefined;
  const err = (lineNo: number, message: string): void => {
    doc.errors.push(`${fileName}:${lineNo}: ${message}`);
  };
  const flush = (): void => {
    if (pending && section) section.entries.push({ key: pending.key, value: pending.lines.join('\n'), line: pending.line });
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trimEnd();
    if (line === '') {
      flush();
      return;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (/^[#;]/.test(line.trimStart())) return; // an indented comment (oslo would glue it to the value)
      if (pending) pending.lines.push(line.trimStart());
      else err(lineNo, `unexpected continuation line '${shown(line, isSecret)}' (only a value can continue on an indented line)`);
      return;
    }
    flush();
    if (line[0] === '#' || line[0] === ';') return;
    if (line[0] === '[') {
      if (line[line.length - 1] !== ']') err(lineNo, `section header '${shown(line, isSecret)}' has no closing ']'`);
      else if (line.slice(1, -1).trim() === '') err(lineNo, 'empty section name');
      else {
        section = { name: line.slice(1, -1).trim(), line: lineNo, entries: [] };
        doc.sections.push(section);
      }
      return;
    }
    const eq = line.indexOf('=');
    const colon = line.indexOf(':');
    if (eq < 0 && colon < 0) {
      err(lineNo, `expected 'key = value', got '${shown(line, isSecret)}'`);
      return;
    }
    const at = colon < 0 || (eq >= 0 && eq < colon) ? eq : colon;
    const key = line.slice(0, at).trim();
    let value = line.slice(at + 1).trim();
    if (key === '') {
      err(lineNo, `expected 'key = value', got '${shown(line, isSecret)}' (empty key)`);
      return;
    }
    if (!section) {
      err(lineNo, `option '${key}' appears before any [section] header (did you forget [DEFAULT]?)`);
      return;
    }
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value[value.length - 1] === value[0]) {
      value = value.slice(1, -1);
    }
    pending = { key, lines: [value], line: lineNo };
  });
  flush();
  return doc;
}
