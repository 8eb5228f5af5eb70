import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeployActionsError, type DeployEvent, type Logger } from '../../core/src/index.js';

/**
 * Events to an optional webhook. JSON deliveries are signed over a timestamp, the way Stripe and Slack sign
 * theirs: `X-Deploy-Actions-Signature-256: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">,v2=<hex
 * HMAC-SHA256 of "<t>.<delivery id>.<raw body>">` (v2 also covers the delivery id; v1 stays for this major).
 * A receiver recomputes the HMAC, compares in constant time, and refuses a timestamp outside its window
 * (`verifyWebhook`, default 5 minutes), so a captured delivery cannot be replayed later; within the window
 * the unique `X-Deploy-Actions-Delivery` id lets it drop duplicates. Retried with backoff on network
 * errors, 429 and 5xx (every attempt signed afresh, same delivery id).
 */
export interface WebhookOptions {
  url: string;
  /** The HMAC key; when empty the request is sent unsigned (and a warning is logged). */
  secret?: string;
  /** Attempts in all, the first included (default 4). */
  attempts?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Base delay between attempts, doubled each time (default 500 ms). */
  backoffMs?: number;
  logger?: Logger;
  /** The body to send instead of the event's JSON (a chat payload: see notify.ts). */
  body?: unknown;
  /** The clock for the signature timestamp (tests). */
  now?: () => Date;
}

export interface Delivery {
  id: string;
  status: number;
  attempts: number;
}

export const SIGNATURE_HEADER = 'x-deploy-actions-signature-256';
/** How old a signed timestamp a receiver accepts by default, either way (clock skew), in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The signature header's value for `body` sent at `time`: `t=<unix seconds>,v1=<hex>`, and with the delivery
 * `id` also `,v2=<hex>` over `<t>.<id>.<body>`: the id is inside the signature, so a receiver that drops
 * duplicates by id cannot be fooled by a replay under a fresh id. v1 stays for this major version.
 */
export function signBody(
  body: string | Buffer,
  secret: string,
  time: Date = new Date(),
  id?: string
): string {
  const t = Math.floor(time.getTime() / 1000);
  return `t=${t},v1=${hmac(`${t}.`, body, secret)}${id ? `,v2=${hmac(`${t}.${id}.`, body, secret)}` : ''}`;
}

function hmac(prefix: string, body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(prefix).update(body).digest('hex');
}

export type Verification =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'missing' | 'malformed' | 'mismatch' | 'expired' };

/**
 * For receivers (and our tests): check a signature header against the raw body, in constant time, and
 * refuse a timestamp more than `toleranceSeconds` away from now (a replay, or a badly skewed clock).
 */
export function verifyWebhook(
  body: string | Buffer,
  secret: string,
  header: string | undefined,
  options: { toleranceSeconds?: number; now?: Date; id?: string } = {}
): Verification {
  if (!header) return { valid: false, reason: 'missing' };
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    })
  );
  const t = Number(parts.get('t'));
  // With the delivery id (the X-Deploy-Actions-Delivery header), v2 is checked: it covers the id too.
  const v2 = options.id !== undefined && parts.has('v2');
  const sig = (v2 ? parts.get('v2') : parts.get('v1')) ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(sig)) return { valid: false, reason: 'malformed' };
  const expected = Buffer.from(hmac(v2 ? `${t}.${options.id}.` : `${t}.`, body, secret), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { valid: false, reason: 'mismatch' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS))
    return { valid: false, reason: 'expired' };
  return { valid: true, timestamp: t };
}

/** `verifyWebhook(...).valid`: true only for an authentic delivery signed within the window. */
export function verifySignature(
  body: string | Buffer,
  secret: string,
  header: string | undefined,
  options: { toleranceSeconds?: number; now?: Date; id?: string } = {}
): boolean {
  return verifyWebhook(body, secret, header, options).valid;
}

function post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: timeoutMs
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function deliverEvent(event: DeployEvent, options: WebhookOptions): Promise<Delivery> {
  const url = new URL(options.url);
  const body = JSON.stringify(options.body ?? event);
  const id = randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'deploy-actions',
    'x-deploy-actions-event': event.type,
    'x-deploy-actions-delivery': id
  };
  if (!options.secret && options.body === undefined)
    options.logger?.warning(`webhook ${url.origin}: no secret set, sending ${event.type} unsigned`);
  const attempts = Math.max(1, options.attempts ?? 4);
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      // Signed at each attempt: a retry an hour later still falls inside the receiver's window.
      if (options.secret)
        headers[SIGNATURE_HEADER] = signBody(body, options.secret, options.now?.() ?? new Date(), id);
      const status = await post(url, body, headers, options.timeoutMs ?? 10_000);
      if (status >= 200 && status < 300) return { id, status, attempts: attempt };
      lastProblem = `answered ${status}`;
      if (status !== 429 && status < 500) break; // the receiver refused this event: retrying won't help
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (attempt < attempts) {
      const delay = (options.backoffMs ?? 500) * 2 ** (attempt - 1);
      options.logger?.debug(`webhook ${url.origin} ${lastProblem}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw new DeployActionsError(
    'connection',
    `Webhook ${url.origin}${url.pathname} ${lastProblem} (event ${event.type})`,
    {
      state: 'the deployment itself is unaffected; only the notification was not delivered',
      hint: 'check the webhook URL and that the receiver accepts POSTs; the event is also in the job summary and host history'
    }
  );
}
