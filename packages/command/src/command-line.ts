import { parse } from 'yaml';
import { InputError } from '../../core/src/index.js';

/**
 * A command line given as an input, as argv data. It travels as argv (through a phase script's quoting or
 * straight to a process), so whatever a shell would have done with it (expand `$VAR`, glob `*`, run `a && b`)
 * is refused here with the input named, not passed on as literal text.
 */

const SH_FIX =
  "no shell runs the command: wrap it in `sh -c '…'` yourself (e.g. sh -c 'a && b'), or give it as a list";

/**
 * A command given as an input (run-migrations' `command`, deploy-compose's `migrate-command`), as argv. It is
 * never run by a shell: a list (`["bin/rails", "db:migrate"]`, `[bin/rails, db:migrate]` or a YAML block `- bin/rails`) or words
 * split as a POSIX shell splits them (splitWords). Empty text: no command.
 */
export function parseCommandLine(text: string, input: string): string[] {
  const value = text.trim();
  if (value === '') return [];
  if (value.startsWith('[') || /^-(\s|$)/.test(value)) return parseList(value, input);
  return splitWords(value, input);
}

function parseList(value: string, input: string): string[] {
  let list: unknown;
  try {
    // failsafe: every scalar stays a string (`- 1` is "1", not a number; `- yes` is "yes").
    list = parse(value, { schema: 'failsafe' });
  } catch (err) {
    throw new InputError(
      input,
      `looks like a list but is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`,
      'write ["bin/rails", "db:migrate"], or the words without brackets'
    );
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new InputError(input, 'is an empty list', 'give the program and its arguments');
  list.forEach((item, i) => {
    if (typeof item !== 'string')
      throw new InputError(
        input,
        `item ${i + 1} of the list is not a string`,
        'give each argument as a plain string'
      );
  });
  if ((list[0] as string).trim() === '')
    throw new InputError(input, 'names an empty program', 'give the program first');
  return list as string[];
}

const OPERATORS = ['&&', '||', ';;', '>>', '<<', '>&', '<&', '>|', '<>', ';', '&', '|', '<', '>', '(', ')'];

/**
 * Words as a POSIX shell splits them (XCU 2.3, quote removal), and nothing more: blanks separate words;
 * '…' keeps everything; "…" keeps everything but lets `\` escape `$ \` " \`; outside quotes `\` keeps the next
 * character. What a shell would do beyond splitting is refused with the input named: operators (`;`, `|`,
 * `&&`, `>`…), expansions (`$`, backquote), globs, `~`, a `#` comment, a `NAME=value` prefix, a newline.
 */
export function splitWords(text: string, input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  const refuse = (what: string, why: string, fix = SH_FIX): never => {
    throw new InputError(input, `has ${what} outside quotes: ${why}`, fix);
  };
  const end = () => {
    if (!inWord) return;
    if (words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word))
      throw new InputError(
        input,
        `starts with the assignment \`${word.split('=')[0]}=…\`, which a shell would read as a variable for the command`,
        "put the variable in env-file (the container gets it), or wrap the command in `sh -c '…'`"
      );
    words.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0)
        throw new InputError(
          input,
          `has an unclosed ' (at character ${i + 1})`,
          "close the quote; inside '…' write ' as '\\''"
        );
      word += text.slice(i + 1, close);
      inWord = true;
      i = close;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === '\\' && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1]!)) {
          if (text[j + 1] !== '\n') word += text[j + 1];
          j++;
        } else if (d === '$' || d === '`')
          throw new InputError(
            input,
            `has ${d === '$' ? '`$`' : 'a backquote'} inside "…", which a shell would expand`,
            `write it as \\${d} or inside '…' to pass it literally; to expand it on the host, ${SH_FIX}`
          );
        else word += d;
      }
      if (j >= text.length)
        throw new InputError(input, `has an unclosed " (at character ${i + 1})`, 'close the quote');
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length)
        throw new InputError(input, 'ends with a backslash', 'remove it, or quote the last word');
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i++;
    } else if (c === ' ' || c === '\t') end();
    else if (c === '\n' || c === '\r')
      refuse('a line break', 'a shell would run each line as its own command');
    else if (';&|<>()'.includes(c)) {
      const op = OPERATORS.find((o) => text.startsWith(o, i))!;
      refuse(`\`${op}\``, 'a shell would read it as an operator, and no shell runs this command');
    } else if (c === '$' || c === '`')
      refuse(
        c === '$' ? `\`${text.slice(i, i + 2)}\`` : 'a backquote (`` ` ``)',
        'a shell would expand it (a variable or a command substitution), and no shell runs this command'
      );
    else if ('*?['.includes(c))
      refuse(
        `\`${c}\``,
        'a shell would expand it as a file name pattern',
        `quote the word ('${c}') to pass it literally; to expand it on the host, ${SH_FIX}`
      );
    else if ((c === '~' || c === '#') && !inWord)
      refuse(
        `\`${c}\` at the start of a word`,
        c === '~'
          ? 'a shell would expand it to a home directory'
          : 'a shell would read the rest as a comment',
        `quote it ('${c}') to pass it literally`
      );
    else {
      word += c;
      inWord = true;
    }
  }
  end();
  return words;
}
