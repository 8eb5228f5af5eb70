import type { SoakRules } from './types.js';

/**
 * Rounds start on a fixed schedule even while earlier rounds still wait for a slow or hanging target, so a
 * broken release is judged within initial-delay + failure-threshold × interval + one probe timeout. This caps
 * how many rounds may be open at once (the bound holds while probe-timeout ≤ this × interval).
 */
export const MAX_ROUNDS_IN_FLIGHT = 8;

/** The canary rule set deploy teams start from (Flagger's request-success-rate and request-duration). */
export function canaryRules(hasHttp: boolean): SoakRules {
  return hasHttp
    ? { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP99LatencyMs: 500 }
    : { minSuccessRate: 0.99 };
}
