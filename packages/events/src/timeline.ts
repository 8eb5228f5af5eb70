import { table, type DeployEvent } from '../../core/src/index.js';

/** A mermaid timeline of a run's events (GitHub renders mermaid in job summaries). */
export function timelineMermaid(events: readonly DeployEvent[], title = 'What happened'): string {
  if (events.length === 0) return '';
  const lines = ['```mermaid', 'timeline', `  title ${sanitize(title)}`];
  for (const e of events) {
    // A colon ends the time period in mermaid's timeline syntax, so the clock is written 19.22.01.
    const time = e.time.slice(11, 19).replace(/:/g, '.');
    const detail = [e.type, e.version, typeof e.reason === 'string' ? e.reason : '']
      .filter(Boolean)
      .join(' ');
    lines.push(`  ${time} : ${sanitize(detail)}`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

export function eventsTable(events: readonly DeployEvent[]): string {
  return table(
    ['time', 'event', 'app', 'environment', 'version', 'actor', 'detail'],
    events.map((e) => [
      e.time,
      e.type,
      e.app,
      e.environment,
      e.version,
      e.actor,
      typeof e.reason === 'string' ? e.reason : typeof e.release === 'string' ? e.release : ''
    ])
  );
}

// Mermaid treats ':' and '#' and ';' specially in timeline entries.
function sanitize(s: string): string {
  return s.replace(/[:#;]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}
