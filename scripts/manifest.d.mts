// Types of scripts/manifest.mjs for the tests that check the manifest and what it generates.
export interface DeclaredInput {
  description: string;
  required: boolean;
  default?: string;
}
export interface ExpandedAction {
  id: string;
  name: string;
  description: string;
  author: string;
  branding: { icon: string; color: string };
  runs: { using: string; main: string; post?: string };
  inputs: [string, DeclaredInput][];
  outputs: [string, { description: string }][];
}
export interface Manifest {
  author: string;
  runtime: string;
  owner: string;
  groups: Record<string, Record<string, Record<string, unknown>>>;
  actions: Record<string, Record<string, unknown>>;
}
export const root: string;
export const MANIFEST: string;
export function loadManifest(text?: string): Manifest;
export function expand(doc?: Manifest): ExpandedAction[];
export function renderActionYml(action: ExpandedAction): string;
export function renderDefaultsTs(doc?: Manifest, actions?: ExpandedAction[]): string;
export function renderHelpTs(actions?: ExpandedAction[]): string;
export function diffActionYml(action: ExpandedAction, doc: unknown): string[];
export function adoptActionYml(
  manifestText: string,
  id: string,
  actionDoc: unknown
): { text: string; problems: string[] };
