import { createNotifier, NOTIFY_FORMATS, verifySignature } from '../../packages/events/src/index.js';
import { makeEvent, type DeployEvent } from '../../packages/core/src/index.js';
import { REQUIRED, startChatReceiver as receiver } from '../support/chat-receiver.js';

const ctx = { actor: 'octocat', runUrl: 'https://github.com/acme/shop/actions/runs/42' };
const where = { app: 'shop', environment: 'Production', version: '1.4.2' };
/** What the deploy engine emits for a release that failed its gate and was rolled back automatically. */
const failedRun = (): DeployEvent[] => [
  makeEvent('deploy.started', where, ctx, { release: 'r2' }),
  makeEvent('rollback.executed', where, ctx, {
    release: 'r1',
    from: 'r2',
    reason: 'health gate: status 500 at http://web1/up',
    automatic: true
  }),
  makeEvent('deploy.failed', where, ctx, {
    release: 'r2',
    reason: 'health gate: status 500 at http://web1/up',
    rolledBack: true
  })
];

/** Every string in a payload, to look for the facts a person needs. */
const text = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : Array.isArray(v)
      ? v.map(text).join(' ')
      : v && typeof v === 'object'
        ? Object.values(v).map(text).join(' ')
        : '';

describe('notifications people read', () => {
  let r: Awaited<ReturnType<typeof receiver>>;
  beforeEach(async () => (r = await receiver()));
  afterEach(() => r.server.close());

  test.each(['slack', 'teams', 'discord'] as const)(
    '%s: the service format, with who, version, environment, result, run link, reason and what serves now',
    async (format) => {
      const notify = createNotifier({ url: `${r.url}/${format}`, format, backoffMs: 5 });
      for (const e of failedRun()) await notify(e);
      await notify(makeEvent('deploy.completed', { ...where, version: '1.4.3' }, ctx, { release: 'r3' }));
      expect(r.refused).toEqual([]);
      // deploy.started is not a result: chat formats skip it.
      expect(r.got.map((g) => g.event)).toEqual(['rollback.executed', 'deploy.failed', 'deploy.completed']);
      const failed = text(r.got[1]!.body);
      for (const fact of ['octocat', '1.4.2', 'Production', 'failed', ctx.runUrl, 'status 500', 'release r1'])
        expect(failed).toContain(fact);
      const ok = text(r.got[2]!.body);
      for (const fact of ['octocat', '1.4.3', 'Production', 'succeeded', ctx.runUrl])
        expect(ok).toContain(fact);
      expect(ok).not.toContain('Reason');
    }
  );

  test('slack: the top-level text is escaped too (`<!channel>` in a reason pings nobody)', async () => {
    const notify = createNotifier({ url: `${r.url}/slack`, format: 'slack', backoffMs: 5 });
    await notify(
      makeEvent('deploy.failed', where, ctx, {
        release: 'r2',
        reason: 'boom <!channel> <@U123>',
        rolledBack: true
      })
    );
    const body = r.got[0]!.body as { text: string };
    expect(body.text).toContain('&lt;!channel&gt;');
    expect(text(body)).not.toContain('<!channel>');
    expect(text(body)).not.toContain('<@U123>');
  });

  test('the receiver refuses a payload missing what the service requires (the check can fail)', async () => {
    for (const format of ['slack', 'teams', 'discord'] as const)
      expect(REQUIRED[format]({ text: '' }).length).toBeGreaterThan(0);
  });

  test('json posts every event as it is, signed', async () => {
    const notify = createNotifier({ url: `${r.url}/json`, format: 'json', secret: 'k', backoffMs: 5 });
    for (const e of failedRun()) await notify(e);
    expect(r.got.map((g) => g.event)).toEqual(['deploy.started', 'rollback.executed', 'deploy.failed']);
    for (const g of r.got) expect(verifySignature(g.raw, 'k', g.signature)).toBe(true);
    expect(r.got[2]!.body).toMatchObject({ type: 'deploy.failed', rolledBack: true, actor: 'octocat' });
  });

  test.each(NOTIFY_FORMATS)(
    '%s: an automatic rollback in a critical environment opens an incident; elsewhere it does not',
    async (format) => {
      const critical = createNotifier({ url: `${r.url}/${format}`, format, critical: true, backoffMs: 5 });
      for (const e of failedRun()) await critical(e);
      const incidents = r.got.filter((g) => g.event === 'incident.opened');
      expect(incidents).toHaveLength(1);
      expect(text(incidents[0]!.body)).toContain('release r1');
      if (format === 'json')
        expect(incidents[0]!.body).toMatchObject({
          type: 'incident.opened',
          severity: 'critical',
          failedRelease: 'r2'
        });
      r.got.length = 0;
      const plain = createNotifier({ url: `${r.url}/${format}`, format, backoffMs: 5 });
      for (const e of failedRun()) await plain(e);
      expect(r.got.filter((g) => g.event === 'incident.opened')).toHaveLength(0);
      // A manual rollback in a critical environment is not an incident either.
      r.got.length = 0;
      await critical(
        makeEvent('rollback.executed', where, ctx, { release: 'r1', from: 'r2', reason: 'by hand' })
      );
      expect(r.got.filter((g) => g.event === 'incident.opened')).toHaveLength(0);
    }
  );
});
