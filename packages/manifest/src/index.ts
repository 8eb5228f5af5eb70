/**
 * The typed input names and defaults of every action, generated from manifest.yml (the one declaration of
 * every action's inputs and outputs). An engine's input reader takes its defaults from here, so a default
 * lives in one place: `GROUPS.health.interval.default`, `INPUTS['tag-release'].target.default`. A name that
 * the manifest does not declare is a type error.
 */
import { CHOICES, GROUPS, INPUTS, OUTPUTS } from './generated.js';

export { CHOICES, GROUPS, INPUTS, OUTPUTS };

export type ActionId = keyof typeof INPUTS;
export type GroupId = keyof typeof GROUPS;
export type InputName<A extends ActionId> = keyof (typeof INPUTS)[A] & string;
export type GroupInputName<G extends GroupId> = keyof (typeof GROUPS)[G] & string;
export type OutputName<A extends ActionId> = (typeof OUTPUTS)[A][number];
/** The inputs of an action that take one of a few values (manifest.yml `options:`). */
export type ChoiceInput<A extends ActionId> = keyof (typeof CHOICES)[A] & string;
/** The values one choice input takes: `Choice<'deploy-compose', 'strategy'>` is `'recreate' | … | 'swarm'`. */
export type Choice<A extends ActionId, N extends ChoiceInput<A>> = ((typeof CHOICES)[A][N] &
  readonly string[])[number];

/** The values of one choice input, in the manifest's order, typed as its union. */
export function choicesOf<A extends ActionId, N extends ChoiceInput<A>>(
  action: A,
  name: N
): readonly Choice<A, N>[] {
  return CHOICES[action][name] as readonly Choice<A, N>[];
}

/** The names of a group's inputs, in the manifest's order (unprefixed). */
export function groupInputNames<G extends GroupId>(group: G): GroupInputName<G>[] {
  return Object.keys(GROUPS[group]) as GroupInputName<G>[];
}

/** The declared default of one input of an action ('' when none). */
export function inputDefault<A extends ActionId>(action: A, name: InputName<A>): string {
  return (INPUTS[action] as Record<string, { default: string }>)[name]!.default;
}

/**
 * One action's declared defaults, typed by its input names, for the action's input reader:
 * `const DEFAULTS = defaultsOf('run-migrations'); inputs.string('dir', { fallback: DEFAULTS.text('dir') })`.
 */
export function defaultsOf<A extends ActionId>(action: A) {
  const text = (name: InputName<A>): string => inputDefault(action, name);
  return {
    text,
    /** The default as a boolean: true only for a declared `'true'`. */
    flag: (name: InputName<A>): boolean => text(name) === 'true',
    /** The default as a number; a declared default that is not one is a bug in manifest.yml. */
    number: (name: InputName<A>): number => {
      const n = Number(text(name));
      if (text(name) === '' || !Number.isFinite(n))
        throw new Error(`manifest.yml: ${action}.${name} has the default "${text(name)}", not a number`);
      return n;
    }
  };
}
