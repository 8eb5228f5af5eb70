import { InputError, parseYamlFile } from '../../packages/core/src/index.js';
import { parseRules } from '../../packages/anonymize/src/index.js';
import { parseEnvironmentsFile } from '../../packages/environments/src/index.js';

describe('parseYamlFile: the prologue of our YAML configuration files', () => {
  it('returns the document and a fail that names a place in the file', () => {
    const { doc, fail } = parseYamlFile('tables:\n  users: {}\n', 'anonymize.yml');
    expect(doc).toEqual({ tables: { users: {} } });
    const e = fail('tables.users', 'is odd', 'fix it');
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toMatch(/anonymize\.yml: tables\.users/);
    expect(e.message).toMatch(/is odd/);
  });

  it('refuses text that is not YAML, naming the file and the parser line', () => {
    expect(() => parseYamlFile('a: [1, 2\n', 'x.yml')).toThrow(/x\.yml: \(file\).*is not valid YAML/s);
  });

  it('is the one both the rules file and environments.yml use: the same error for the same bad text', () => {
    const bad = 'tables: [\n';
    const messages = [() => parseRules(bad, 'r.yml'), () => parseEnvironmentsFile(bad, 'r.yml')].map((f) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    });
    expect(messages[0]).toMatch(/is not valid YAML/);
    expect(messages[0]).toBe(messages[1]);
  });
});
