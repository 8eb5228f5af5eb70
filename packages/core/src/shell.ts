/**
 * POSIX quoting, the only quoting there is: where argv must become a string for a remote shell (the ssh
 * command line, and the phase scripts of packages/ssh/src/script.ts). An argument made only of safe
 * characters (letters, digits, `@%+=:,./-`) stays as it is; every other one is single-quoted, with `'`
 * written as `'\''`. Either way no input is ever parsed by that shell as code.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
