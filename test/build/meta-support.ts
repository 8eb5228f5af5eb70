import {
  computeMeta,
  parseFlavor,
  resolveMetaContext,
  type MetaInput
} from '../../packages/docker/src/index.js';

/**
 * Our own table of docker/metadata-action's behaviour: every rule type, expression, flavor option and
 * environment override, and the six causes of difference the issue lists (each marked "cause N"). The
 * expected values follow metadata-action's documentation and were checked against its source (src/meta.ts).
 */
export const SHA = '5e2f1c0d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d';
export const HEAD = 'aa11bb22cc33dd44ee55ff6677889900aabbccdd';
export const NOW = new Date('2026-05-17T22:45:10.000Z');
export const REPO = {
  name: 'bakery',
  description: 'Bread as a service',
  html_url: 'https://github.com/flour/bakery',
  default_branch: 'trunk',
  license: { spdx_id: 'Apache-2.0' }
};

export interface Case {
  event?: string;
  ref: string;
  payload?: Record<string, unknown>;
  env?: Record<string, string>;
  rules?: string[];
  flavor?: string[];
  images?: string[];
}

export function run(c: Case, extra: Partial<MetaInput> = {}) {
  const context = resolveMetaContext(
    {
      eventName: c.event ?? 'push',
      ref: c.ref,
      sha: SHA,
      repository: 'flour/bakery',
      serverUrl: 'https://github.com'
    },
    { repository: REPO, ...c.payload },
    c.env ?? {}
  );
  return computeMeta({
    images: c.images ?? ['ghcr.io/flour/bakery'],
    tagRules: c.rules ?? [],
    flavor: parseFlavor(c.flavor ?? []),
    context,
    now: NOW,
    ...extra
  });
}
export const names = (c: Case) => run(c).tagNames;
