// Each package has a face: code outside packages/<name>/ imports it only through packages/<name>/src/index.ts.
// `face/index-only` fails on any other import of a package's file. eslint/face-allowlist.txt is empty, and
// its emptiness is the rule: test/foundation/face.test.ts fails on any entry in it and on any import that
// reaches past an index. The mechanism stays so that a large move can list what it has not moved yet
// (`face/allowlisted` warns about each listed import) — but only on a branch, never on main.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ALLOWLIST_FILE = 'eslint/face-allowlist.txt';

/** `importer -> target` pairs (paths from the repository root), comments and blank lines dropped. */
export function readAllowlist(text = readFileSync(join(root, ALLOWLIST_FILE), 'utf8')) {
  return new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean)
      .map((l) => l.split(/\s*->\s*/).join(' -> '))
  );
}

/** The package file an import reaches into from outside its package, or undefined when the import is fine. */
export function faceViolation(importerAbs, source) {
  if (!source.startsWith('.')) return undefined;
  const target = relative(root, resolve(dirname(importerAbs), source));
  const m = /^packages\/([^/]+)\/src\/(.+)$/.exec(target);
  if (!m || /^index\.(js|ts)$/.test(m[2])) return undefined;
  const importer = relative(root, importerAbs);
  if (importer.startsWith(`packages/${m[1]}/`)) return undefined;
  return { importer, target: target.replace(/\.js$/, '.ts'), pkg: m[1] };
}

/** The rule's option `{ allow: ['importer -> target', …] }` stands in for the file (the face test uses it). */
function allowlistOf(context) {
  const given = context.options[0]?.allow;
  return given ? readAllowlist(given.join('\n')) : readAllowlist();
}

function check(context, allowlisted) {
  const allow = allowlistOf(context);
  const visit = (node, sourceNode) => {
    if (!sourceNode || typeof sourceNode.value !== 'string') return;
    const v = faceViolation(context.filename, sourceNode.value);
    if (!v) return;
    if (allow.has(`${v.importer} -> ${v.target}`) !== allowlisted) return;
    context.report({
      node: sourceNode,
      message: allowlisted
        ? `${v.target} is an internal file of packages/${v.pkg} (allowed for now by ${ALLOWLIST_FILE}): import packages/${v.pkg}/src/index.js and delete the line.`
        : `Import packages/${v.pkg} through its face, packages/${v.pkg}/src/index.js, not ${v.target}: export what you need from the index.`
    });
  };
  return {
    ImportDeclaration: (node) => visit(node, node.source),
    ExportNamedDeclaration: (node) => visit(node, node.source),
    ExportAllDeclaration: (node) => visit(node, node.source),
    ImportExpression: (node) => visit(node, node.source)
  };
}

const schema = [
  {
    type: 'object',
    properties: { allow: { type: 'array', items: { type: 'string' } } },
    additionalProperties: false
  }
];

export default {
  rules: {
    'index-only': { meta: { type: 'problem', schema }, create: (context) => check(context, false) },
    allowlisted: { meta: { type: 'suggestion', schema }, create: (context) => check(context, true) }
  }
};
