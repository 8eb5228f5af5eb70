/**
 * POSIX quoting for the one place a command line must become a string: the remote side of ssh, which
 * hands its arguments to the login shell. An argument made only of characters no shell treats specially
 * (letters, digits and `_@%+=:,./-`) stays bare, so logged command lines stay readable; every other
 * argument, the empty one included, is single-quoted, with each `'` inside written as `'\''`. Either way no
 * input is ever parsed by that shell as code.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
