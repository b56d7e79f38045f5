/** The file that the hostile arguments would create if a shell ever parsed one. */
export const PWNED = '/tmp/nova-ts-shell-pwned';

/** Arguments that would do something (create PWNED) if a shell parsed them unquoted. */
export const HOSTILE_ARGS: readonly string[] = [
  '', ' ', 'plain', 'two words', "it's", "'", "''", "'\\''", '"', '"double" and \'single\'',
  '$(touch PWNED)', '`touch PWNED`', '${IFS}touch${IFS}PWNED', '$HOME', '$$', '$?', '$0', '!', '!!',
  '; touch PWNED', '&& touch PWNED', '| touch PWNED', '& touch PWNED &', '> PWNED', '< /etc/passwd',
  'a\ntouch PWNED', '\n', 'x\r\ny', 'tab\there', 'back\\slash\\', '\\', '*', '?', '[a-z]*', '~', '~root',
  '#not a comment', '-n', '--help', '-e \\x41', '%s%d%%', "'; touch PWNED; echo '", '\'$(touch PWNED)\'',
  'héllo wörld', '日本語 ✓ 🚀', '\u00a0nbsp', '\u202eRTL', 'emoji\u200dzwj',
].map((a) => a.replace(/PWNED/g, PWNED));
