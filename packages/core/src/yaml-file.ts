import { parse } from 'yaml';
import { InputError } from './errors.js';

/** Builds the error for one place in a YAML file: the input it names is `<file>: <where>`. */
export type YamlFileFail = (where: string, problem: string, fix: string) => InputError;

/**
 * The prologue every YAML configuration file of ours shares (anonymize's rules, environments.yml): parse the
 * text, or throw an InputError naming the file and the parser's first line; hand back the document and the
 * `fail` that names a place in that file, so every later error reads the same.
 */
export function parseYamlFile(text: string, file: string): { doc: unknown; fail: YamlFileFail } {
  const fail: YamlFileFail = (where, problem, fix) => new InputError(`${file}: ${where}`, problem, fix);
  try {
    return { doc: parse(text) as unknown, fail };
  } catch (e) {
    throw fail('(file)', `is not valid YAML (${(e as Error).message.split('\n')[0]})`, 'fix the YAML syntax');
  }
}
