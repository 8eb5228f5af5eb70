import { choicesOf, type Choice } from '../../manifest/src/index.js';

/** Every strategy deploy-compose knows (manifest.yml, its `strategy` options), in the docs' order. */
export const STRATEGIES = choicesOf('deploy-compose', 'strategy');
export type Strategy = Choice<'deploy-compose', 'strategy'>;

/**
 * Strategies that run the new release beside the old one in a slot behind the host's nginx (ports, proxy,
 * nginx needed). recreate replaces in place; swarm leaves placement and switching to Swarm.
 */
export function usesSlots(strategy: Strategy): boolean {
  return strategy === 'rolling' || strategy === 'blue-green' || strategy === 'canary';
}
