import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  deliverEvent,
  signBody,
  verifySignature,
  verifyWebhook,
  timelineMermaid,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS
} from '../../packages/events/src/index.js';
import { makeEvent } from '../../packages/core/src/index.js';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** A real receiver on 127.0.0.1 that answers with the statuses queued for it (then 204). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
      res.statusCode = statuses.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deploy`, received, server };
}

const event = makeEvent(
  'deploy.failed',
  { app: 'shop', environment: 'production', version: '1.4.2' },
  { actor: 'octocat', runUrl: 'https://github.com/acme/shop/actions/runs/1' },
  { reason: 'health gate: 5xx rate 0.2 > 0.01' }
);

describe('webhook delivery', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('signs the exact body with HMAC-SHA256 so the receiver can verify it', async () => {
    const r = await receiver([]);
    servers.push(r.server);
    const delivery = await deliverEvent(event, { url: r.url, secret: 'hook-secret', backoffMs: 10 });
    expect(delivery).toMatchObject({ status: 204, attempts: 1 });
    const got = r.received[0]!;
    expect(JSON.parse(got.body)).toEqual(event);
    expect(got.headers['x-deploy-actions-event']).toBe('deploy.failed');
    expect(got.headers[SIGNATURE_HEADER]).toMatch(/^t=\d+,v1=[0-9a-f]{64},v2=[0-9a-f]{64}$/);
    expect(verifySignature(got.body, 'hook-secret', got.headers[SIGNATURE_HEADER] as string)).toBe(true);
    expect(verifySignature(got.body, 'other-secret', got.headers[SIGNATURE_HEADER] as string)).toBe(false);
    expect(verifySignature(got.body + ' ', 'hook-secret', got.headers[SIGNATURE_HEADER] as string)).toBe(
      false
    );
    // v2 covers the delivery id (issue 28): the same body and signature under another id fail.
    const sig = got.headers[SIGNATURE_HEADER] as string;
    const id = got.headers['x-deploy-actions-delivery'] as string;
    expect(verifySignature(got.body, 'hook-secret', sig, { id })).toBe(true);
    expect(verifySignature(got.body, 'hook-secret', sig, { id: `${id}x` })).toBe(false);
  });

  it('retries 5xx and 429 with the same delivery id, then succeeds', async () => {
    const r = await receiver([500, 429, 503]);
    servers.push(r.server);
    const delivery = await deliverEvent(event, { url: r.url, secret: 's', backoffMs: 5, attempts: 5 });
    expect(delivery.attempts).toBe(4);
    expect(new Set(r.received.map((x) => x.headers['x-deploy-actions-delivery'])).size).toBe(1);
  });

  it('does not retry a 4xx refusal and says the deployment is unaffected', async () => {
    const r = await receiver([400]);
    servers.push(r.server);
    await expect(deliverEvent(event, { url: r.url, secret: 's', backoffMs: 5 })).rejects.toThrow(
      /answered 400/
    );
    expect(r.received).toHaveLength(1);
  });

  it('gives up after the bounded attempts when nothing listens', async () => {
    const r = await receiver([]);
    const url = r.url;
    await new Promise((res) => r.server.close(res));
    await expect(deliverEvent(event, { url, secret: 's', backoffMs: 5, attempts: 2 })).rejects.toMatchObject({
      kind: 'connection',
      state: expect.stringContaining('unaffected')
    });
  });
});

describe('replay-safe signatures', () => {
  const body = JSON.stringify(event);
  const sentAt = new Date('2026-12-01T10:00:00Z');
  const header = signBody(body, 'hook-secret', sentAt);

  it('signs the timestamp with the body, so the timestamp cannot be changed', () => {
    expect(header).toMatch(/^t=1796119200,v1=[0-9a-f]{64}$/);
    const now = new Date(sentAt.getTime() + 10_000);
    expect(verifyWebhook(body, 'hook-secret', header, { now })).toEqual({
      valid: true,
      timestamp: 1796119200
    });
    const moved = header.replace('t=1796119200', 't=1796119500');
    expect(verifyWebhook(body, 'hook-secret', moved, { now })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('refuses a delivery replayed after the window, and accepts one inside it', () => {
    const inside = new Date(sentAt.getTime() + (SIGNATURE_TOLERANCE_SECONDS - 1) * 1000);
    const replayed = new Date(sentAt.getTime() + (SIGNATURE_TOLERANCE_SECONDS + 1) * 1000);
    expect(verifySignature(body, 'hook-secret', header, { now: inside })).toBe(true);
    expect(verifyWebhook(body, 'hook-secret', header, { now: replayed })).toEqual({
      valid: false,
      reason: 'expired'
    });
    expect(verifyWebhook(body, 'hook-secret', header, { now: replayed, toleranceSeconds: 3600 }).valid).toBe(
      true
    );
  });

  it('refuses a missing, malformed or old-style signature', () => {
    expect(verifyWebhook(body, 's', undefined)).toEqual({ valid: false, reason: 'missing' });
    expect(verifyWebhook(body, 's', 'sha256=abcd')).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyWebhook(body, 's', 't=x,v1=' + 'a'.repeat(64))).toEqual({
      valid: false,
      reason: 'malformed'
    });
  });

  it('a real delivery captured and re-sent later is refused by the receiver check', async () => {
    const r = await receiver([]);
    try {
      await deliverEvent(event, { url: r.url, secret: 'hook-secret', now: () => sentAt });
      const got = r.received[0]!;
      const sig = got.headers[SIGNATURE_HEADER] as string;
      expect(verifySignature(got.body, 'hook-secret', sig, { now: new Date(sentAt.getTime() + 1000) })).toBe(
        true
      );
      expect(
        verifySignature(got.body, 'hook-secret', sig, { now: new Date(sentAt.getTime() + 3_600_000) })
      ).toBe(false);
    } finally {
      r.server.close();
    }
  });
});

describe('timeline', () => {
  it('renders a mermaid timeline with entries mermaid can parse', () => {
    const md = timelineMermaid([event], 'shop: production');
    expect(md).toContain('```mermaid\ntimeline\n  title shop production\n');
    expect(md).toMatch(/ {2}\d\d\.\d\d\.\d\d : deploy\.failed 1\.4\.2 health gate 5xx rate 0\.2 > 0\.01\n/);
  });
});
