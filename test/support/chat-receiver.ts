import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, type NotifyFormat } from '../../packages/events/src/index.js';

/**
 * A local receiver standing in for Slack, Teams and Discord: it answers 400 (as those services do) to a
 * payload missing what their incoming webhooks require, and keeps what it accepted.
 */
export type Check = (body: Record<string, unknown>) => string[];
const isStr = (v: unknown, max = Infinity): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

export const REQUIRED: Record<Exclude<NotifyFormat, 'json'>, Check> = {
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

export interface Got {
  /** The request path: `/hooks/<anything>/<format>`. */
  path: string;
  format: string;
  body: Record<string, unknown>;
  raw: string;
  signature?: string;
  event?: string;
}

export async function startChatReceiver(): Promise<{
  url: string;
  got: Got[];
  refused: string[];
  server: Server;
}> {
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
        path: req.url ?? '',
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
