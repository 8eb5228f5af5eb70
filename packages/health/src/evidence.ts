import type { ProbeRecord } from './types.js';

/**
 * A job's step outputs share 1 MB on GitHub; the evidence output stays well inside that even for a long
 * soak. The full evidence goes to a file (the `evidence-file` output) for upload as an artifact.
 */
export const MAX_EVIDENCE_OUTPUT_BYTES = 256 * 1024;

export interface EvidenceOutput {
  /** A JSON array of probe records. */
  json: string;
  kept: number;
  dropped: number;
}

/** Every probe record when they fit in `maxBytes`, otherwise the most recent ones that fit. */
export function evidenceForOutput(
  evidence: readonly ProbeRecord[],
  maxBytes = MAX_EVIDENCE_OUTPUT_BYTES
): EvidenceOutput {
  const parts: string[] = [];
  let size = 2;
  for (let i = evidence.length - 1; i >= 0; i--) {
    const text = JSON.stringify(evidence[i]);
    if (size + Buffer.byteLength(text) + 1 > maxBytes) break;
    size += Buffer.byteLength(text) + 1;
    parts.push(text);
  }
  parts.reverse();
  return { json: `[${parts.join(',')}]`, kept: parts.length, dropped: evidence.length - parts.length };
}
