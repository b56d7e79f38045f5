/**
 * Nova's name formats (nova/api/validation/parameter_types.py and validators.py): the regexes
 * built from "printable" characters, and the InvalidName message their format checkers raise.
 * Pure.
 */

/** The jsonschema formats Nova registers with an InvalidName cause. */
export type NameFormat = 'name' | 'name_with_leading_trailing_spaces' | 'az_name' | 'az_name_with_leading_trailing_spaces';

/** `ValidationRegex.reason` of each format (Nova's text, missing space included). */
const REASONS: Record<NameFormat, string> = {
  name: 'printable characters. Can not start or end with whitespace.',
  name_with_leading_trailing_spaces: 'printable characters with at least one non space character',
  az_name: 'printable characters except :.Can not start or end with whitespace.',
  az_name_with_leading_trailing_spaces: 'printable characters except :, with at least one non space character',
};

/**
 * `_is_printable` over the code points Nova's ranges cover (U+0000–U+FFFE): no `C*` category,
 * and of the separators only `Zs`; `allowSpace` false also drops `Zs` (the "no_ws" ranges).
 */
function printable(ch: string, allowSpace: boolean): boolean {
  if ((ch.codePointAt(0) ?? 0) >= 0xffff || /\p{C}/u.test(ch)) return false;
  return !/\p{Z}/u.test(ch) || (allowSpace && /\p{Zs}/u.test(ch));
}

/**
 * Whether `s` matches the format's regex (the strict ones accept '': minLength decides). As in
 * Python's re, the final `$` also matches before a trailing newline: "k\n" is a valid name.
 */
export function isValidName(s: string, format: NameFormat): boolean {
  return matches(s, format) || (s.length > 1 && s.endsWith('\n') && matches(s.slice(0, -1), format));
}

function matches(s: string, format: NameFormat): boolean {
  const noColon = format.startsWith('az_');
  const ok = (c: string, allowSpace: boolean) => printable(c, allowSpace) && !(noColon && c === ':');
  const chars = [...s];
  if (format === 'name' || format === 'az_name') {
    // '^(?![no_ws inverted])[printable]*(?<![no_ws inverted])$'
    if (!chars.every((c) => ok(c, true))) return false;
    return chars.length === 0 || (printable(chars[0], false) && printable(chars[chars.length - 1], false));
  }
  // '^[ws]*[no_ws]+[ws]*$|^[ws]*[no_ws][no_ws ws]+[no_ws][ws]*$': printable, one non-space at least.
  return chars.every((c) => ok(c, true)) && chars.some((c) => ok(c, false));
}

/** exception.InvalidName, the message Nova returns as is (no "Invalid input for field" prefix). */
export function invalidNameMessage(format: NameFormat): string {
  return `An invalid 'name' value was provided. The name must be: ${REASONS[format]}`;
}
