/**
 * Has a stack converged? A pure judgement over what `docker service inspect` and `docker inspect --type task`
 * return, so it is unit-tested on plain objects and the waiting loop stays trivial. `docker stack deploy`
 * returns before any task runs; this is what the deploy waits on instead.
 */

/** The parts of a Docker service object the judgement reads. */
export interface SwarmService {
  ID: string;
  Version?: { Index: number };
  Spec: {
    Name: string;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate: { ContainerSpec: { Image: string } };
  };
  PreviousSpec?: { TaskTemplate: { ContainerSpec: { Image: string } } };
  UpdateStatus?: { State?: string; Message?: string };
}

/** The parts of a Docker task object the judgement reads. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  DesiredState: string;
  Status: { State: string; Message?: string; Err?: string };
  Spec: { ContainerSpec: { Image: string } };
}

export type ServiceState = 'converged' | 'converging' | 'failed';

export interface ServiceVerdict {
  service: string;
  state: ServiceState;
  image: string;
  desired: number | 'global';
  running: number;
  /** Why it failed, or what it still waits for. */
  detail: string;
}

export interface StackVerdict {
  state: ServiceState;
  services: ServiceVerdict[];
}

export interface JudgeOptions {
  /**
   * `update` (a deploy): Swarm rolling back on its own means the new spec failed. `rollback` (our own
   * `service rollback`): rollback_completed is the goal.
   */
  mode?: 'update' | 'rollback';
  /**
   * The service was not changed by this operation (its Version.Index did not move), so its UpdateStatus
   * belongs to an earlier update and says nothing now: judge its tasks only.
   */
  ignoreUpdateStatus?: boolean;
  /** Failed tasks of the new image that make the service failed (default 3). */
  maxFailedTasks?: number;
}

/** Swarm's own update states that mean update_config gave up (failure_action pause or rollback). */
const GAVE_UP: Record<'update' | 'rollback', Set<string>> = {
  update: new Set(['paused', 'rollback_started', 'rollback_paused', 'rollback_completed']),
  rollback: new Set(['paused', 'rollback_paused'])
};
const IN_PROGRESS = new Set(['updating', 'rollback_started']);
/** Task states that will not become running. */
const DEAD = new Set(['failed', 'rejected', 'shutdown', 'complete', 'orphaned', 'remove']);

/**
 * One service: converged when as many tasks as desired run the spec's image and no task of another image is
 * still meant to run; failed when Swarm's update gave up, or when `maxFailedTasks` tasks of the new image have
 * failed (a crash loop never converges, and restart_policy would retry it for ever).
 */
export function judgeService(
  service: SwarmService,
  tasks: readonly SwarmTask[],
  options: JudgeOptions = {}
): ServiceVerdict {
  const { mode = 'update', ignoreUpdateStatus = false, maxFailedTasks = 3 } = options;
  const name = service.Spec.Name;
  const image = service.Spec.TaskTemplate.ContainerSpec.Image;
  const mine = tasks.filter((t) => t.ServiceID === service.ID);
  const current = mine.filter((t) => t.Spec.ContainerSpec.Image === image);
  const running = current.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length;
  const failed = current.filter((t) => t.Status.State === 'failed' || t.Status.State === 'rejected');
  const stale = mine.filter(
    (t) => t.Spec.ContainerSpec.Image !== image && t.DesiredState === 'running' && !DEAD.has(t.Status.State)
  ).length;
  const replicas = service.Spec.Mode?.Global ? 'global' : (service.Spec.Mode?.Replicated?.Replicas ?? 1);
  const base = { service: name, image, desired: replicas, running } as const;
  const update = ignoreUpdateStatus ? undefined : service.UpdateStatus?.State;
  const lastError = () => {
    const t = failed[failed.length - 1];
    return t ? `: ${t.Status.Err || t.Status.Message || t.Status.State}` : '';
  };
  if (update && GAVE_UP[mode].has(update))
    return {
      ...base,
      state: 'failed',
      detail: `Swarm's update ${update.replace('_', ' ')}${service.UpdateStatus?.Message ? ` (${service.UpdateStatus.Message})` : ''}${lastError()}`
    };
  if (failed.length >= maxFailedTasks)
    return { ...base, state: 'failed', detail: `${failed.length} task(s) of ${image} failed${lastError()}` };
  const enough =
    replicas === 'global'
      ? running > 0 && current.every((t) => t.DesiredState !== 'running' || t.Status.State === 'running')
      : running >= replicas;
  if (enough && stale === 0 && !(update && IN_PROGRESS.has(update)))
    return { ...base, state: 'converged', detail: `${running} task(s) running ${image}` };
  const want = replicas === 'global' ? 'every node' : String(replicas);
  return {
    ...base,
    state: 'converging',
    detail: `${running} of ${want} task(s) running ${image}${stale ? `, ${stale} old task(s) still running` : ''}${update && IN_PROGRESS.has(update) ? `, ${update.replace('_', ' ')}` : ''}`
  };
}

/**
 * The stack: failed if any service failed, converged when all have. `unchanged` names the services this
 * operation did not change (their UpdateStatus is old news).
 */
export function judgeStack(
  services: readonly SwarmService[],
  tasks: readonly SwarmTask[],
  options: Omit<JudgeOptions, 'ignoreUpdateStatus'> & { unchanged?: ReadonlySet<string> } = {}
): StackVerdict {
  const verdicts = services.map((s) =>
    judgeService(s, tasks, { ...options, ignoreUpdateStatus: options.unchanged?.has(s.Spec.Name) ?? false })
  );
  const state: ServiceState = verdicts.some((v) => v.state === 'failed')
    ? 'failed'
    : verdicts.every((v) => v.state === 'converged')
      ? 'converged'
      : 'converging';
  return { state, services: verdicts };
}
