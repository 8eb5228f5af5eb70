import { asScanRecord, makeEvent, scanLine, type DeployEvent, type Logger } from '../../core/src/index.js';
import { choicesOf, type Choice } from '../../manifest/src/index.js';
import { deliverEvent, type Delivery } from './webhook.js';

/**
 * Notifications people read. `json` posts the signed event itself (for machines); `slack`, `teams` and
 * `discord` post a message in that service's incoming-webhook format: who, which version, which environment,
 * the result and a link to the run, and on failure the reason and what serves now.
 */
export const NOTIFY_FORMATS = choicesOf('deploy-compose', 'notify-format');
export type NotifyFormat = Choice<'deploy-compose', 'notify-format'>;

/** The events a chat message is written for: results, not every step. */
const CHAT_EVENTS = new Set(['deploy.completed', 'deploy.failed', 'rollback.executed', 'incident.opened']);

/** What a person needs from one event, in words. */
export interface NotificationText {
  title: string;
  result: 'succeeded' | 'failed' | 'rolled back' | 'incident';
  facts: [string, string][];
  reason?: string;
  serving?: string;
  runUrl: string;
}

const field = (e: DeployEvent, k: string): string => (typeof e[k] === 'string' ? (e[k] as string) : '');

export function describeEvent(e: DeployEvent, servingHint?: string): NotificationText {
  const where = `${e.app} ${e.version || '(no version)'} in ${e.environment}`;
  const scan = asScanRecord(e.scan);
  const facts: [string, string][] = [
    ['Who', e.actor || 'unknown'],
    ['Version', e.version || '(none)'],
    ['Environment', e.environment],
    // scan-gate's verdict on the release's image (deploy-compose's scan-verdict): counts and the report's sha256.
    ...(scan ? ([['Scan', scanLine(scan)]] as [string, string][]) : [])
  ];
  const runUrl = e.runUrl || '';
  switch (e.type) {
    case 'deploy.completed':
      return { title: `✅ Deployed ${where}`, result: 'succeeded', facts, runUrl };
    case 'rollback.executed': {
      const serving = field(e, 'release') ? `release ${field(e, 'release')}` : 'the previous release';
      return {
        title: `↩️ Rolled back ${e.app} in ${e.environment}`,
        result: 'rolled back',
        facts,
        reason: field(e, 'reason') || 'not given',
        serving,
        runUrl
      };
    }
    case 'incident.opened':
      return {
        title: `🚨 Incident: ${where} was rolled back automatically`,
        result: 'incident',
        facts,
        reason: field(e, 'reason') || 'not given',
        serving: field(e, 'serving') || 'the previous release',
        runUrl
      };
    default: {
      const serving =
        servingHint ??
        (e.rolledBack === true
          ? 'the previous release (rolled back automatically)'
          : 'unknown: the release was not rolled back; check the hosts');
      return {
        title: `❌ Deploy failed: ${where}`,
        result: 'failed',
        facts,
        reason: field(e, 'reason') || 'not given',
        serving,
        runUrl
      };
    }
  }
}

const RESULT_COLOR: Record<NotificationText['result'], { hex: string; int: number }> = {
  succeeded: { hex: '2EB67D', int: 0x2eb67d },
  failed: { hex: 'E01E5A', int: 0xe01e5a },
  'rolled back': { hex: 'ECB22E', int: 0xecb22e },
  incident: { hex: 'B00020', int: 0xb00020 }
};

function allFacts(t: NotificationText): [string, string][] {
  return [
    ...t.facts,
    ['Result', t.result],
    ...(t.reason ? ([['Reason', t.reason]] as [string, string][]) : []),
    ...(t.serving ? ([['Serving now', t.serving]] as [string, string][]) : [])
  ];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
// Slack's mrkdwn treats <, > and & specially.
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack incoming webhook: `text` (the notification fallback) and Block Kit blocks. */
export function slackPayload(t: NotificationText): Record<string, unknown> {
  const facts = allFacts(t);
  const link = t.runUrl ? ` <${t.runUrl}|Open the run>` : '';
  return {
    // Escaped too: `<!channel>` in an error reason must not ping a channel.
    text: clip(slackEscape(`${t.title}: ${t.result}${t.reason ? ` (${t.reason})` : ''}`), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(t.title, 150), emoji: true } },
      {
        type: 'section',
        fields: facts
          .slice(0, 10)
          .map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${slackEscape(v)}`, 2000) }))
      },
      ...(link ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: link.trim() }] }] : [])
    ]
  };
}

/** Microsoft Teams incoming webhook (Workflows): a message with one Adaptive Card attachment. */
export function teamsPayload(t: NotificationText): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: t.title, weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'FactSet', facts: allFacts(t).map(([title, value]) => ({ title, value })) }
          ],
          ...(t.runUrl ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the run', url: t.runUrl }] } : {})
        }
      }
    ]
  };
}

/** Discord webhook: one embed (title ≤ 256, field name ≤ 256, value ≤ 1024, at most 25 fields). */
export function discordPayload(t: NotificationText, time: string): Record<string, unknown> {
  return {
    username: 'deploy-actions',
    embeds: [
      {
        title: clip(t.title, 256),
        ...(t.runUrl ? { url: t.runUrl } : {}),
        color: RESULT_COLOR[t.result].int,
        timestamp: time,
        fields: allFacts(t)
          .slice(0, 25)
          .map(([name, value]) => ({
            name: clip(name, 256),
            value: clip(value, 1024),
            inline: value.length < 40
          }))
      }
    ]
  };
}

/** The body to POST for an event in a format; undefined when that format does not notify of the event. */
export function notificationBody(event: DeployEvent, format: NotifyFormat, servingHint?: string): unknown {
  if (format === 'json') return event;
  if (!CHAT_EVENTS.has(event.type)) return undefined;
  const text = describeEvent(event, servingHint);
  if (format === 'slack') return slackPayload(text);
  if (format === 'teams') return teamsPayload(text);
  return discordPayload(text, event.time);
}

export interface NotifierOptions {
  url: string;
  secret?: string;
  format: NotifyFormat;
  /** The environment is critical: an automatic rollback also sends `incident.opened`. */
  critical?: boolean;
  /** This run is itself an automatic rollback (the workflows' soak-failure step): its rollback is one. */
  automatic?: boolean;
  logger?: Logger;
  attempts?: number;
  timeoutMs?: number;
  backoffMs?: number;
}

/**
 * An `onEvent` for the engines: each event is formatted and delivered; a deploy's failure message says
 * which release serves now (from the rollback that came just before it); in a critical environment an
 * automatic rollback is followed by `incident.opened`.
 */
export function createNotifier(options: NotifierOptions): (event: DeployEvent) => Promise<Delivery[]> {
  let restored: string | undefined;
  const send = async (event: DeployEvent, hint?: string): Promise<Delivery | undefined> => {
    const body = notificationBody(event, options.format, hint);
    if (body === undefined) return undefined;
    return deliverEvent(event, {
      url: options.url,
      ...(options.secret ? { secret: options.secret } : {}),
      ...(options.format === 'json' ? {} : { body }),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.attempts ? { attempts: options.attempts } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.backoffMs ? { backoffMs: options.backoffMs } : {})
    });
  };
  return async (event) => {
    const sent: Delivery[] = [];
    const hint =
      event.type === 'deploy.failed' && event.rolledBack === true && restored
        ? `release ${restored} (rolled back automatically)`
        : undefined;
    const first = await send(event, hint);
    if (first) sent.push(first);
    if (event.type === 'rollback.executed') {
      restored = field(event, 'release') || undefined;
      if (options.critical && (event.automatic === true || options.automatic)) {
        const incident = makeEvent(
          'incident.opened',
          { app: event.app, environment: event.environment, version: event.version },
          { actor: event.actor, runUrl: event.runUrl },
          {
            reason: field(event, 'reason'),
            serving: restored ? `release ${restored}` : 'the previous release',
            failedRelease: field(event, 'from'),
            severity: 'critical'
          }
        );
        const d = await send(incident);
        if (d) sent.push(d);
      }
    }
    return sent;
  };
}
