/** The one clock of a deploy or rollback: release ids, records, history, deadlines and lock times read it. */
export interface Clock {
  now(): Date;
  ms(): number;
}

export function clockFrom(now?: () => Date): Clock {
  if (!now) return { now: () => new Date(), ms: () => Date.now() };
  // A fixed or fake wall clock (tests) still measures durations with real time passing from its start.
  const base = now().getTime();
  const started = Date.now();
  return {
    now: () => new Date(base + (Date.now() - started)),
    ms: () => Date.now()
  };
}
