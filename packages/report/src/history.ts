/**
 * A host's history.jsonl as the deploy engine writes it (packages/deploy: one JSON object a line, appended
 * in one write; a writer killed mid-line leaves a torn last line, which the next writer closes). Reading is
 * forgiving by design: a line that is not a whole JSON object is counted as torn and skipped, never guessed.
 */
export interface HistoryLine {
  time: string;
  event: string;
  app: string;
  environment: string;
  host: string;
  release?: string;
  version?: string;
  durationMs?: number;
  from?: string;
  to?: string;
  reason?: string;
  automatic?: boolean;
  [field: string]: unknown;
}

export interface HostHistory {
  host: string;
  lines: HistoryLine[];
  /** Lines that were not a whole JSON object with a time and an event (a killed writer's torn line). */
  torn: number;
}

export function parseHistory(host: string, text: string): HostHistory {
  const lines: HistoryLine[] = [];
  let torn = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      torn++;
      continue;
    }
    if (!isLine(value)) {
      torn++;
      continue;
    }
    lines.push({ ...value, host: typeof value.host === 'string' ? value.host : host });
  }
  return { host, lines, torn };
}

function isLine(v: unknown): v is HistoryLine {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.time === 'string' &&
    !Number.isNaN(Date.parse(o.time)) &&
    typeof o.event === 'string' &&
    typeof o.environment === 'string'
  );
}

export const timeOf = (l: { time: string }): number => Date.parse(l.time);
