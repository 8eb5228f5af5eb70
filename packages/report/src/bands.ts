/**
 * DORA's software delivery performance clusters, from one named report year, kept in this one constant.
 * Source: the 2023 Accelerate State of DevOps Report (DORA), "Software delivery performance" clusters:
 *   deployment frequency  elite on demand (several a day) · high between once a day and once a week ·
 *                         medium between once a week and once a month · low less often;
 *   lead time for changes elite < 1 day · high 1 day – 1 week · medium 1 week – 1 month · low longer;
 *   change failure rate   elite 5% · high 10% · medium 15% · low 64% (cluster medians: at most each value);
 *   recovery time         elite < 1 hour · high < 1 day · medium 1 day – 1 week · low longer.
 * Each threshold is the upper bound of its band (the lower bound for frequency).
 */
export const DORA_BANDS = {
  year: 2023,
  report: 'Accelerate State of DevOps Report 2023 (DORA)',
  deploysPerWeek: { elite: 7, high: 1, medium: 12 / 52 },
  leadTimeSeconds: { elite: 86_400, high: 7 * 86_400, medium: 30 * 86_400 },
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  timeToRestoreSeconds: { elite: 3_600, high: 86_400, medium: 7 * 86_400 }
} as const;

export type Band = 'elite' | 'high' | 'medium' | 'low';

type Bounds = { elite: number; high: number; medium: number };

/** Smaller is better (lead time, failure rate, restore time). */
function atMost(value: number, b: Bounds): Band {
  if (value <= b.elite) return 'elite';
  if (value <= b.high) return 'high';
  if (value <= b.medium) return 'medium';
  return 'low';
}

export const bands = {
  deploysPerWeek(v: number): Band {
    const b = DORA_BANDS.deploysPerWeek;
    if (v >= b.elite) return 'elite';
    if (v >= b.high) return 'high';
    if (v >= b.medium) return 'medium';
    return 'low';
  },
  leadTime: (s: number): Band => atMost(s, DORA_BANDS.leadTimeSeconds),
  changeFailureRate: (r: number): Band => atMost(r, DORA_BANDS.changeFailureRate),
  timeToRestore: (s: number): Band => atMost(s, DORA_BANDS.timeToRestoreSeconds)
};
