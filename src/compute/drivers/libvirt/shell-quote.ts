/**
 * POSIX shell quoting for commands that a remote sshd hands to the login shell (`$SHELL -c`).
 * Every argument is wrapped in single quotes: inside them a POSIX shell (sh, dash, bash, ksh, zsh)
 * expands nothing (`$`, backticks, `\`, `;`, `*`, newlines are all literal), and the only
 * character that cannot appear is the single quote itself, written as `'\''` (close, escaped
 * quote, reopen). The remote user's login shell must be a POSIX shell, as root's is on Debian;
 * csh-family shells treat `!` and newlines differently and are not supported.
 */

/** Thrown for an argument a shell command line cannot carry (a NUL byte ends a C string). */
export class ShellQuoteError extends Error {}

/** One argument, single-quoted. `''` for the empty string, so it stays an argument. */
export function shellQuote(arg: string): string {
  if (typeof arg !== 'string') throw new ShellQuoteError(`shell argument must be a string, got ${typeof arg}`);
  if (arg.includes('\0')) throw new ShellQuoteError('shell argument contains a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argument array: every element quoted, joined by spaces. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new ShellQuoteError('empty command');
  return argv.map(shellQuote).join(' ');
}
