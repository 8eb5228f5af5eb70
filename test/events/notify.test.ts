import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createNotifier,
  NOTIFY_FORMATS,
  SIGNATURE_HEADER,
  verifySignature,
  type NotifyFormat
} from '../../packages/events/src/index.js';
import { makeEvent, type DeployEvent } from '../../packages/core/src/index.js';

/**
 * A local receiver standing in for Slack, Teams and Discord: it answers 400 (as those services do) to a
 * payload missing what their incoming webhooks require, and keeps what it accepted.
 */
type Check = (body: Record<string, unknown>) => string[];
const isStr = (v: unknown, max = Infinity): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

const REQUIRED: Record<Exclude<NotifyFormat, 'json'>, Check> = {
  // api.slack.com/messaging/webhooks + Block Kit limits.
  slack: (b) => {
    const p: string[] = [];
    if (!isStr(b.text, 40_000)) p.push('text: required (the notification fallback)');
    const blocks = arr(b.blocks);
    if (blocks.length === 0 || blocks.length > 50) p.push('blocks: 1..50');
    for (const block of blocks.map(obj)) {
      if (!['header', 'section', 'context', 'divider', 'actions'].includes(String(block.type)))
        p.push(`block type ${String(block.type)}`);
      if (
        block.type === 'header' &&
        !(obj(block.text).type === 'plain_text' && isStr(obj(block.text).text, 150))
      )
        p.push('header: plain_text ≤ 150');
      if (block.type === 'section') {
        const fields = arr(block.fields).map(obj);
        if (!block.text && fields.length === 0) p.push('section: text or fields');
        if (fields.length > 10) p.push('section: ≤ 10 fields');
        for (const f of fields)
          if (!isStr(f.text, 2000) || f.type !== 'mrkdwn') p.push('section field: mrkdwn ≤ 2000');
      }
      if (block.type === 'context' && arr(block.elements).length === 0) p.push('context: elements');
    }
    return p;
  },
  // Teams Workflows incoming webhook: a message whose attachment is an Adaptive Card.
  teams: (b) => {
    const p: string[] = [];
    if (b.type !== 'message') p.push("type: 'message'");
    const att = arr(b.attachments).map(obj);
    if (att.length !== 1) p.push('attachments: one card');
    const a = att[0] ?? {};
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') p.push('attachments[0].contentType');
    const card = obj(a.content);
    if (card.type !== 'AdaptiveCard' || !isStr(card.version)) p.push('content: AdaptiveCard with version');
    if (!arr(card.body).some((e) => obj(e).type === 'TextBlock' && isStr(obj(e).text)))
      p.push('body: a TextBlock');
    for (const e of arr(card.body).map(obj))
      if (e.type === 'FactSet')
        for (const f of arr(e.facts).map(obj))
          if (!isStr(f.title) || !isStr(f.value)) p.push('fact: title, value');
    for (const act of arr(card.actions).map(obj))
      if (act.type === 'Action.OpenUrl' && !isStr(act.url)) p.push('Action.OpenUrl: url');
    return p;
  },
  // discord.com/developers/docs/resources/webhook#execute-webhook + embed limits.
  discord: (b) => {
    const p: string[] = [];
    const embeds = arr(b.embeds).map(obj);
    if (!isStr(b.content, 2000) && embeds.length === 0) p.push('content or embeds');
    if (embeds.length > 10) p.push('≤ 10 embeds');
    for (const e of embeds) {
      if (e.title !== undefined && !isStr(e.title, 256)) p.push('embed title ≤ 256');
      if (e.color !== undefined && !(Number.isInteger(e.color) && (e.color as number) <= 0xffffff))
        p.push('embed color: integer');
      if (e.timestamp !== undefined && Number.isNaN(Date.parse(String(e.timestamp))))
        p.push('timestamp ISO8601');
      const fields = arr(e.fields).map(obj);
      if (fields.length > 25) p.push('≤ 25 fields');
      for (const f of fields)
        if (!isStr(f.name, 256) || !isStr(f.value, 1024)) p.push('field name ≤ 256, value ≤ 1024');
    }
    return p;
  }
};

interface Got {
  format: string;
  body: Record<string, unknown>;
  raw: string;
  signature?: string;
  event?: string;
}

async function receiver(): Promise<{ url: string; got: Got[]; refused: string[]; server: Server }> {
  const got: Got[] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const format = (req.url ?? '').split('/').pop() as NotifyFormat;
      const body = JSON.parse(raw) as Record<string, unknown>;
      const problems = format === 'json' ? [] : REQUIRED[format](body);
      if (problems.length) {
        refused.push(`${format}: ${problems.join('; ')}`);
        res.statusCode = 400;
        return res.end('invalid_payload');
      }
      got.push({
        format,
        body,
        raw,
        ...(req.headers[SIGNATURE_HEADER] ? { signature: String(req.headers[SIGNATURE_HEADER]) } : {}),
        event: String(req.headers['x-deploy-actions-event'])
      });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, refused, server };
}

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
