// Each package has a face: code outside packages/<name>/ imports it only through packages/<name>/src/index.ts.
// `face/index-only` fails on any other import of a package's file; the imports still listed in
// eslint/face-allowlist.txt (packages others were editing, and tests) are reported by `face/allowlisted` as
// warnings until someone moves them to the index and deletes their line. test/foundation/face.test.ts fails
// on a line that no longer matches an import, so the list only shrinks.
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

function check(context, allowlisted) {
  const allow = readAllowlist();
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

export default {
  rules: {
    'index-only': { meta: { type: 'problem', schema: [] }, create: (context) => check(context, false) },
    allowlisted: { meta: { type: 'suggestion', schema: [] }, create: (context) => check(context, true) }
  }
};
