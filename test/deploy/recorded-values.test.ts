import { DeployError } from '../../packages/core/src/index.js';
import { hostSpec, type ActiveRecord, type RollbackSpec } from '../../packages/deploy/src/index.js';
import { deploySpec, rollbackSpec } from './support.js';

/**
 * issue 28 item 9: what active.json records (how the app is reached) feeds nginx.conf and compose on a rollback
 * with only host, app and environment; it is checked like the inputs it stands for.
 */
describe('a rollback re-validates the values it reads back from the host', () => {
  const base = (): RollbackSpec => {
    const { publicPort: _p, ...rest } = rollbackSpec(deploySpec('errors2-rv', '/srv/deploy', 19760));
    return rest as RollbackSpec;
  };
  const active = (over: Record<string, unknown>): ActiveRecord =>
    ({
      release: '20261207T120000Z-ab12',
      strategy: 'blue-green',
      project: 'errors2-rv-test-blue',
      slot: 'blue',
      port: 19761,
      since: '2026-12-07T12:00:00.000Z',
      publicPort: 19760,
      slotPorts: [19761, 19762],
      proxyBind: '127.0.0.1',
      portVar: 'PORT',
      ...over
    }) as ActiveRecord;
  const run = (a: ActiveRecord) =>
    ({ state: { before: { active: a } }, ctx: { host: { name: 'h1' } } }) as unknown as Parameters<
      typeof hostSpec
    >[1];

  it('takes sound recorded values', () => {
    const s = hostSpec(base(), run(active({})));
    expect(s).toMatchObject({ publicPort: 19760, slotPorts: [19761, 19762], proxyBind: '127.0.0.1' });
  });

  it.each([
    ['proxyBind', '127.0.0.1;\n  include /etc/passwd', 'proxy-bind'],
    ['proxyBind', 'localhost', 'proxy-bind'],
    ['publicPort', 0, 'public-port'],
    ['slotPorts', [19761, '19762; x'], 'slot-ports'],
    ['slotPorts', [0, 19762], 'slot-ports'],
    ['portVar', 'PORT=1 evil', 'port-variable']
  ])('refuses a recorded %s of %j, naming %s', (field, value, input) => {
    let err: unknown;
    try {
      hostSpec(base(), run(active({ [field]: value })));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeployError);
    expect((err as DeployError).message).toContain(`records ${field}`);
    expect((err as DeployError).hint).toContain(input);
  });

  it('takes the [0, 0] a deploy without slots records (recreate without public-port, swarm)', () => {
    const s = hostSpec(
      base(),
      run(active({ strategy: 'swarm', slot: undefined, slotPorts: [0, 0], project: 'errors2-rv-test' }))
    );
    expect(s.slotPorts).toEqual([0, 0]);
  });

  it('does not read recorded proxy values the inputs replace', () => {
    const s = hostSpec(
      { ...base(), publicPort: 19770, proxyBind: '0.0.0.0' },
      run(active({ proxyBind: 'x y' }))
    );
    expect(s.proxyBind).toBe('0.0.0.0');
  });
});
