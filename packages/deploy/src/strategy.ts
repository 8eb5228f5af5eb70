/** Every strategy deploy-compose knows, in the order the docs present them (docs/strategies.md). */
export const STRATEGIES = ['recreate', 'rolling', 'blue-green', 'canary', 'swarm'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * Strategies that run the new release beside the old one in a slot behind the host's nginx (ports, proxy,
 * nginx needed). recreate replaces in place; swarm leaves placement and switching to Swarm.
 */
export function usesSlots(strategy: Strategy): boolean {
  return strategy === 'rolling' || strategy === 'blue-green' || strategy === 'canary';
}
