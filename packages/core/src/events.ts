import type { RunContext } from './context.js';

/** The events every step emits, as JSON lines: to the job summary, the host's history, outputs, a webhook. */
export type EventType =
  | 'deploy.started'
  | 'deploy.completed'
  | 'deploy.failed'
  | 'migration.applied'
  | 'rollback.executed'
  | 'incident.opened'
  | 'release.tagged'
  | 'image.published'
  | 'health.verdict'
  | 'lock.taken-over'
  | 'deploy.cancelled'
  | 'drill.completed';

export interface DeployEvent {
  type: EventType;
  time: string;
  app: string;
  environment: string;
  version: string;
  actor: string;
  runUrl: string;
  [field: string]: unknown;
}

export function makeEvent(
  type: EventType,
  where: { app: string; environment: string; version: string },
  context: Pick<RunContext, 'actor' | 'runUrl'>,
  fields: Record<string, unknown> = {},
  now: Date = new Date()
): DeployEvent {
  return { type, time: now.toISOString(), ...where, actor: context.actor, runUrl: context.runUrl, ...fields };
}
