import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeployActionsError, type DeployEvent, type Logger } from '../../core/src/index.js';

/**
 * Events to an optional webhook, signed like GitHub signs its own webhooks: the header
 * `X-Deploy-Actions-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, so receivers can reuse
 * their GitHub webhook verification code. Retried with backoff on network errors, 429 and 5xx.
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
}

export interface Delivery {
  id: string;
  status: number;
  attempts: number;
}

export const SIGNATURE_HEADER = 'x-deploy-actions-signature-256';

export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and our tests): constant-time check of a signature header against the raw body. */
export function verifySignature(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
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
  const body = JSON.stringify(event);
  const id = randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'deploy-actions',
    'x-deploy-actions-event': event.type,
    'x-deploy-actions-delivery': id
  };
  if (options.secret) headers[SIGNATURE_HEADER] = signBody(body, options.secret);
  else options.logger?.warning(`webhook ${url.origin}: no secret set, sending ${event.type} unsigned`);
  const attempts = Math.max(1, options.attempts ?? 4);
  let lastProblem = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
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
