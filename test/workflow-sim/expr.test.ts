import { condition, evaluate, interpolate } from '../../packages/workflow-sim/src/index.js';

const ctx = {
  inputs: { app: 'shop', soak: '', count: 3, flag: false },
  needs: { build: { result: 'success', outputs: { digest: 'sha256:abc' } } },
  secrets: { SSH_KEY: 'k' },
  vars: {},
  github: { event_name: 'push', ref: 'refs/heads/main' }
};
const ok = { success: () => true, failure: () => false };
const failed = { success: () => false, failure: () => true };

describe('expressions', () => {
  test.each([
    ["inputs.app == 'SHOP'", true],
    ["inputs.soak != ''", false],
    ['inputs.count > 2 && inputs.count <= 3', true],
    ["vars.MISSING || 'deploy'", 'deploy'],
    ["inputs.app && 'yes'", 'yes'],
    ["needs.build.outputs['digest']", 'sha256:abc'],
    ["contains(github.ref, 'main')", true],
    ["startsWith(github.ref, 'refs/tags/')", false],
    ["format('{0}@{1}', inputs.app, needs.build.outputs.digest)", 'shop@sha256:abc'],
    ['!inputs.flag', true],
    ["fromJSON('[1,2]')[1]", 2],
    ["'it''s'", "it's"],
    ['(inputs.count == 3) && !(inputs.flag)', true]
  ])('%s', (src, expected) => {
    expect(evaluate(src, ctx).value).toEqual(expected);
  });

  test('interpolation keeps text around expressions and the type of a whole expression', () => {
    expect(interpolate('${{ inputs.app }}:${{ needs.build.outputs.digest }}', ctx)).toBe('shop:sha256:abc');
    expect(interpolate('${{ inputs.count }}', ctx)).toBe(3);
  });

  test('if: implies success() unless a status function is used', () => {
    expect(condition("inputs.app == 'shop'", ctx, failed)).toBe(false);
    expect(condition("failure() && inputs.app == 'shop'", ctx, failed)).toBe(true);
    expect(condition('${{ always() }}', ctx, failed)).toBe(true);
    expect(condition(undefined, ctx, ok)).toBe(true);
  });

  test('bad expressions are errors, not silently empty', () => {
    expect(() => evaluate("inputs.app == 'x", ctx)).toThrow(/unterminated string/);
    expect(() => evaluate('hashFiles(x)', ctx)).toThrow(/unsupported function hashFiles/);
    expect(() => evaluate('success()', ctx)).toThrow(/only allowed in an if/);
  });
});
