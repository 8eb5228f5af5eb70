import { deploy as deployCompose } from './deploy.js';
import { deploySwarm } from './swarm.js';
import type { DeployOutcome, DeploySpec, EngineDeps } from './types.js';

/** One entry for every strategy: Swarm hands placement to the swarm; the others run compose on each host. */
export function deploy(d: DeploySpec, deps: EngineDeps): Promise<DeployOutcome> {
  return d.strategy === 'swarm' ? deploySwarm(d, deps) : deployCompose(d, deps);
}
