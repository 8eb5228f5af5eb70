// Types of eslint/face.mjs for test/foundation/face.test.ts.
export const ALLOWLIST_FILE: string;
export function readAllowlist(text?: string): Set<string>;
export function faceViolation(
  importerAbs: string,
  source: string
): { importer: string; target: string; pkg: string } | undefined;
declare const plugin: { rules: Record<string, unknown> };
export default plugin;
