import { describeError, makeEvent, type DeployEvent, type EventType } from '../../core/src/index.js';
import type { Clock } from './clock.js';
import type { EngineDeps, HistoryEntry, TargetSpec } from './types.js';

/** Shared by deploy and rollback: events to the caller, and the lines of each host's history. */
export class Recorder {
  readonly events: DeployEvent[] = [];
  /** When the run began (the clock's ms): a run's duration, for the deploy textfile. */
  readonly startedMs: number;
  constructor(
    private readonly spec: TargetSpec,
    private readonly deps: EngineDeps,
    readonly clock: Clock
  ) {
    this.startedMs = clock.ms();
  }

  async emit(type: EventType, version: string, fields: Record<string, unknown> = {}): Promise<void> {
    const event = makeEvent(
      type,
      { app: this.spec.app, environment: this.spec.environment, version },
      this.deps.context,
      { ...fields, ...slugField(this.spec) },
      this.clock.now()
    );
    this.events.push(event);
    try {
      await this.deps.onEvent?.(event);
    } catch (err) {
      this.deps.logger.warning(`event ${type}: ${describeError(err)}`);
    }
  }

  entry(host: string, event: string, fields: Record<string, unknown>): HistoryEntry {
    return {
      time: this.clock.now().toISOString(),
      event,
      app: this.spec.app,
      environment: this.spec.environment,
      ...slugField(this.spec),
      actor: this.deps.context.actor,
      runUrl: this.deps.context.runUrl,
      host,
      ...fields
    };
  }
}

/** The environment's slug rides along where it differs from the name (`Staging EU` → `staging-eu`). */
function slugField(spec: TargetSpec): Record<string, string> {
  return spec.environmentSlug && spec.environmentSlug !== spec.environment
    ? { environmentSlug: spec.environmentSlug }
    : {};
}
