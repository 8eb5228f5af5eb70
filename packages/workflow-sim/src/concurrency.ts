/**
 * GitHub's concurrency groups (workflow- and job-level `concurrency:` share one namespace): at most one run
 * running and one pending per group. A newly queued run replaces (cancels) the pending one; with
 * `cancel-in-progress: true` it also cancels the running one. A run holds its group until it ends, so a
 * run waiting for an environment approval holds it all that time.
 */
export type Release = () => void;

interface Holder {
  label: string;
  cancel: () => void;
}
interface Waiter extends Holder {
  start: (release: Release | undefined) => void;
}
interface Group {
  running?: Holder;
  pending?: Waiter;
}

export class ConcurrencyGroups {
  private readonly groups = new Map<string, Group>();

  /** Who runs and who waits in each group (for tests and logs). */
  state(): Record<string, { running?: string; pending?: string }> {
    const out: Record<string, { running?: string; pending?: string }> = {};
    for (const [name, g] of this.groups)
      out[name] = {
        ...(g.running ? { running: g.running.label } : {}),
        ...(g.pending ? { pending: g.pending.label } : {})
      };
    return out;
  }

  /**
   * Queue `label` in `group`. Resolves with the function that frees the group once it may start, or with
   * undefined when a newer run replaced it while it was pending (GitHub cancels it).
   */
  acquire(
    group: string,
    label: string,
    cancelInProgress: boolean,
    cancel: () => void
  ): Promise<Release | undefined> {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = {}));
    const release = (): Release => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const next = g.pending;
        g.pending = undefined;
        g.running = next ? { label: next.label, cancel: next.cancel } : undefined;
        if (next) next.start(release());
        else this.groups.delete(group);
      };
    };
    if (!g.running) {
      g.running = { label, cancel };
      return Promise.resolve(release());
    }
    if (cancelInProgress) g.running.cancel();
    const replaced = g.pending;
    return new Promise((start) => {
      g.pending = { label, cancel, start };
      replaced?.start(undefined);
    });
  }
}

/** A `concurrency:` value: its group and cancel-in-progress, or undefined when absent. */
export function concurrencySpec(
  spec: unknown,
  evaluate: (text: string) => string
): { group: string; cancelInProgress: boolean } | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec === 'string') return { group: evaluate(spec), cancelInProgress: false };
  if (typeof spec !== 'object' || Array.isArray(spec))
    throw new Error('concurrency: must be a string or a map');
  const s = spec as Record<string, unknown>;
  const cip = s['cancel-in-progress'];
  return {
    group: evaluate(String(s.group)),
    cancelInProgress: cip === true || (typeof cip === 'string' && evaluate(cip) === 'true')
  };
}
