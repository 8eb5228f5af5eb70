// Read manifest.yml, the one declaration of every action's inputs and outputs, and render what is generated
// from it: the seven <name>/action.yml files, the typed input defaults the engines read
// (packages/manifest/src/generated.ts) and the CLI's help (packages/cli/src/help.generated.ts).
// scripts/catalog.mjs writes them (and action-catalog.md) and, with --check, fails on drift.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST = 'manifest.yml';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const INPUT_KEYS = new Set(['description', 'required', 'default', 'prefixed-description', 'options']);
const ACTION_KEYS = new Set(['name', 'description', 'branding', 'post', 'inputs', 'outputs']);

function fail(where, problem, fix) {
  throw new Error(`${MANIFEST}: ${where} ${problem}; ${fix}`);
}

function checkInput(where, name, spec) {
  if (!KEBAB.test(name))
    fail(where, `input name "${name}" is not kebab-case`, 'write it like `probe-timeout`');
  if (!spec || typeof spec !== 'object') fail(where, 'is not a map', 'give it at least a `description:`');
  for (const key of Object.keys(spec))
    if (!INPUT_KEYS.has(key)) fail(where, `has an unknown key "${key}"`, `use ${[...INPUT_KEYS].join(', ')}`);
  if (typeof spec.description !== 'string' || spec.description.trim() === '')
    fail(where, 'has no description', 'describe what the input does and its format');
  if (spec.required === true && spec.default !== undefined)
    fail(where, 'is required and has a default', 'drop one of them');
  if (spec.default !== undefined && typeof spec.default !== 'string')
    fail(where, 'has a default that is not a string', "quote it, e.g. default: '3'");
  if (spec.options !== undefined) checkOptions(where, spec);
}

/** `options:` makes an input a choice (atlas-action's `type: enum`): the engines' choice unions come from it. */
function checkOptions(where, spec) {
  const o = spec.options;
  if (!Array.isArray(o) || o.length < 2 || o.some((v) => typeof v !== 'string' || v === ''))
    fail(
      where,
      'has options that are not a list of two or more strings',
      "write e.g. options: ['fail', 'pass']"
    );
  if (new Set(o).size !== o.length) fail(where, 'lists an option twice', 'list each value once');
  if (spec.default !== undefined && !o.includes(spec.default))
    fail(
      where,
      `has the default "${spec.default}", which is not one of its options`,
      `use one of ${o.join(', ')}`
    );
}

/** The manifest as written, checked. */
export function loadManifest(text = readFileSync(join(root, MANIFEST), 'utf8')) {
  const doc = parse(text);
  for (const key of ['author', 'runtime', 'owner', 'groups', 'actions'])
    if (doc?.[key] === undefined) fail('the top level', `has no "${key}"`, 'see the comment at its top');
  for (const [group, inputs] of Object.entries(doc.groups))
    for (const [name, spec] of Object.entries(inputs ?? {}))
      checkInput(`groups.${group}.${name}`, name, spec);
  for (const [id, action] of Object.entries(doc.actions)) {
    for (const key of Object.keys(action))
      if (!ACTION_KEYS.has(key))
        fail(`actions.${id}`, `has an unknown key "${key}"`, `use ${[...ACTION_KEYS].join(', ')}`);
    for (const [name, spec] of Object.entries(action.inputs ?? {}))
      if (!name.startsWith('$')) checkInput(`actions.${id}.inputs.${name}`, name, spec);
  }
  return doc;
}

/** One input as the action.yml declares it. */
function declared(spec) {
  const options = spec.options ? { options: spec.options } : {};
  return spec.required === true
    ? { description: spec.description, required: true, ...options }
    : { description: spec.description, required: false, default: spec.default ?? '', ...options };
}

/**
 * Every action with its groups expanded, in the manifest's order:
 * `{ id, name, description, branding, runs, inputs: [[name, {description, required, default?}]], outputs }`.
 */
export function expand(doc = loadManifest()) {
  return Object.entries(doc.actions).map(([id, action]) => {
    const inputs = [];
    // The same inputs as written: an action's own input, or a group's run of them (rendered once, reused).
    const parts = [];
    for (const [key, value] of Object.entries(action.inputs ?? {})) {
      if (!key.startsWith('$')) {
        inputs.push([key, declared(value)]);
        parts.push({ input: inputs[inputs.length - 1] });
        continue;
      }
      const group = doc.groups[key.slice(1)];
      if (!group)
        fail(
          `actions.${id}.inputs.${key}`,
          'names no group',
          `declare it under groups: (${Object.keys(doc.groups).join(', ')})`
        );
      const prefix = value?.prefix ?? '';
      const from = inputs.length;
      for (const [name, spec] of Object.entries(group)) {
        if (!prefix) {
          inputs.push([name, declared(spec)]);
          continue;
        }
        const description = (spec['prefixed-description'] ?? spec.description).replaceAll(
          '{default}',
          spec.default ?? ''
        );
        inputs.push([
          prefix + name,
          declared({
            description,
            ...(spec.required ? { required: true } : {}),
            ...(spec.options ? { options: spec.options } : {})
          })
        ]);
      }
      parts.push({ group: key.slice(1), prefix, inputs: inputs.slice(from) });
    }
    const seen = new Set();
    for (const [name] of inputs) {
      if (seen.has(name))
        fail(`actions.${id}`, `declares input "${name}" twice`, 'remove it from the action or the group');
      seen.add(name);
    }
    const outputs = Object.entries(action.outputs ?? {}).map(([name, description]) => {
      if (!KEBAB.test(name)) fail(`actions.${id}.outputs.${name}`, 'is not kebab-case', 'rename it');
      return [name, { description }];
    });
    return {
      id,
      name: action.name,
      description: action.description,
      branding: action.branding,
      runs: {
        using: doc.runtime,
        main: `../dist/${id}/index.js`,
        ...(action.post ? { post: `../dist/${id}/post.js` } : {})
      },
      author: doc.author,
      inputs,
      parts,
      outputs
    };
  });
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** `<id>/action.yml`, with a header saying where it comes from. */
export function renderActionYml(action) {
  const out = [
    `# Generated from ${MANIFEST} (actions.${action.id}) by \`npm run catalog\`. Do not edit this file:`,
    `# change ${MANIFEST} and run \`npm run catalog\`; CI fails when the two disagree.`,
    `name: ${q(action.name)}`,
    `description: ${q(action.description)}`,
    `author: ${q(action.author)}`,
    'branding:',
    `  icon: ${q(action.branding.icon)}`,
    `  color: ${q(action.branding.color)}`,
    'inputs:'
  ];
  for (const [name, spec] of action.inputs) {
    out.push(`  ${name}:`, `    description: ${q(spec.description)}`, `    required: ${spec.required}`);
    if (!spec.required) out.push(`    default: ${q(spec.default)}`);
  }
  out.push('outputs:');
  for (const [name, spec] of action.outputs)
    out.push(`  ${name}:`, `    description: ${q(spec.description)}`);
  out.push('runs:', `  using: ${q(action.runs.using)}`, `  main: ${q(action.runs.main)}`);
  if (action.runs.post) out.push(`  post: ${q(action.runs.post)}`);
  return out.join('\n') + '\n';
}

const GENERATED_TS = `// Generated from ${MANIFEST} by \`npm run catalog\`. Do not edit: change ${MANIFEST} and regenerate.`;

/** The typed names and defaults: `INPUTS['health-gate'].interval.default`, `GROUPS.health.interval.default`. */
export function renderDefaultsTs(doc = loadManifest(), actions = expand(doc)) {
  const entry = (spec) =>
    `{ default: ${JSON.stringify(spec.required ? '' : (spec.default ?? ''))}, required: ${spec.required === true} }`;
  const out = [GENERATED_TS, ''];
  out.push('/** Inputs shared by several actions, declared once (unprefixed names). */');
  out.push('export const GROUPS = {');
  for (const [group, inputs] of Object.entries(doc.groups)) {
    out.push(`  ${JSON.stringify(group)}: {`);
    for (const [name, spec] of Object.entries(inputs))
      out.push(`    ${JSON.stringify(name)}: ${entry(spec)},`);
    out.push('  },');
  }
  out.push('} as const;', '');
  out.push(
    "/** A group's inputs under `prefix`; each defaults to '' there (its reader falls back to the group's default). */",
    'function prefixed<G extends Record<string, { required: boolean }>, P extends string>(group: G, prefix: P) {',
    '  return Object.fromEntries(',
    "    Object.entries(group).map(([name, spec]) => [prefix + name, { default: '', required: spec.required }])",
    '  ) as {',
    "    readonly [K in keyof G & string as `${P}${K}`]: { readonly default: ''; readonly required: G[K]['required'] };",
    '  };',
    '}',
    ''
  );
  out.push(
    "/** Every action's inputs, as its action.yml declares them (a group's inputs where it stands). */"
  );
  out.push('export const INPUTS = {');
  for (const action of actions) {
    out.push(`  ${JSON.stringify(action.id)}: {`);
    for (const part of action.parts) {
      if (part.input) out.push(`    ${JSON.stringify(part.input[0])}: ${entry(part.input[1])},`);
      else if (part.prefix)
        out.push(`    ...prefixed(GROUPS[${JSON.stringify(part.group)}], ${JSON.stringify(part.prefix)}),`);
      else out.push(`    ...GROUPS[${JSON.stringify(part.group)}],`);
    }
    out.push('  },');
  }
  out.push('} as const;', '');
  out.push("/** Every action's output names. */");
  out.push('export const OUTPUTS = {');
  for (const action of actions)
    out.push(`  ${JSON.stringify(action.id)}: ${JSON.stringify(action.outputs.map(([n]) => n))},`);
  out.push('} as const;', '');
  out.push(
    '/** The values of every choice input (manifest.yml `options:`), by action and input name as the action.yml names it. */'
  );
  out.push('export const CHOICES = {');
  for (const action of actions) {
    const choices = action.inputs.filter(([, spec]) => spec.options);
    out.push(`  ${JSON.stringify(action.id)}: {`);
    for (const [name, spec] of choices)
      out.push(`    ${JSON.stringify(name)}: ${JSON.stringify(spec.options)},`);
    out.push('  },');
  }
  out.push('} as const;', '');
  return out.join('\n');
}

/**
 * What `deploy-actions --help` and `deploy-actions <action> --help` print: one line per action, input and
 * output (left as written by prettier, so the file stays a few hundred lines long).
 */
export function renderHelpTs(actions = expand()) {
  const j = (v) => JSON.stringify(v);
  const line = ([name, spec]) =>
    `      { name: ${j(name)}, required: ${spec.required}, default: ${j(spec.required ? '' : spec.default)}, description: ${j(spec.description)} },`;
  const key = (part) => (part.prefix ? `${part.prefix}${part.group}` : part.group);
  const out = [
    GENERATED_TS,
    '',
    '/** An action as its help shows it (help.ts renders it; declared here so the two files import one way). */',
    'export interface ActionHelp {',
    '  id: string;',
    '  description: string;',
    '  inputs: readonly { name: string; description: string; required: boolean; default: string }[];',
    '  outputs: readonly { name: string; description: string }[];',
    '}',
    ''
  ];
  // A group's help once, spread where each action uses it (a prefixed use has texts of its own).
  out.push(
    "/** Each shared group's inputs as the actions show them: `ssh`, or `health-health` for the prefix `health-`. */",
    '// prettier-ignore',
    "const GROUP_HELP: Record<string, ActionHelp['inputs']> = {"
  );
  const seen = new Set();
  for (const part of actions.flatMap((a) => a.parts).filter((p) => p.group)) {
    if (seen.has(key(part))) continue;
    seen.add(key(part));
    out.push(`  ${j(key(part))}: [`, ...part.inputs.map((i) => line(i).replace(/^ {2}/, '')), '  ],');
  }
  out.push('};', '', '// prettier-ignore');
  out.push('export const ACTION_HELP: readonly ActionHelp[] = [');
  for (const a of actions) {
    out.push(`  { id: ${j(a.id)}, description: ${j(a.description)},`, '    inputs: [');
    for (const part of a.parts)
      out.push(part.input ? line(part.input) : `      ...GROUP_HELP[${j(key(part))}]!,`);
    out.push('    ],', '    outputs: [');
    for (const [name, spec] of a.outputs)
      out.push(`      { name: ${j(name)}, description: ${j(spec.description)} },`);
    out.push('    ] },');
  }
  out.push('];', '');
  return out.join('\n');
}

/**
 * What a committed action.yml (parsed) declares that the manifest does not, as manifest.yml snippets to
 * paste: the way to port an input someone added to an action.yml by hand (e.g. on a branch made before the
 * manifest) into the one declaration. Empty when they agree.
 */
export function diffActionYml(action, doc) {
  const out = [];
  const mine = new Map(action.inputs);
  const theirs = Object.entries(doc?.inputs ?? {});
  let previous = '(the top)';
  for (const [name, spec] of theirs) {
    const want = {
      description: String(spec?.description ?? ''),
      required: spec?.required === true || spec?.required === 'true',
      default: spec?.default === undefined || spec?.default === null ? '' : String(spec.default)
    };
    const have = mine.get(name);
    const snippet = [
      `      ${name}:`,
      `        description: ${q(want.description)}`,
      ...(want.required
        ? ['        required: true']
        : want.default
          ? [`        default: ${q(want.default)}`]
          : [])
    ].join('\n');
    if (!have) out.push(`actions.${action.id}.inputs: add after ${previous}:\n${snippet}`);
    else if (
      have.description !== want.description ||
      have.required !== want.required ||
      (!want.required && (have.default ?? '') !== want.default)
    )
      out.push(`actions.${action.id}.inputs.${name} (or its group) differs; action.yml has:\n${snippet}`);
    previous = name;
  }
  for (const [name] of action.inputs)
    if (!theirs.some(([n]) => n === name)) out.push(`actions.${action.id}.inputs.${name}: not in action.yml`);
  const outputs = Object.entries(doc?.outputs ?? {});
  for (const [name, spec] of outputs) {
    const have = action.outputs.find(([n]) => n === name);
    if (!have || have[1].description !== String(spec?.description ?? ''))
      out.push(
        `actions.${action.id}.outputs: ${have ? 'change' : 'add'}:\n      ${name}: ${q(String(spec?.description ?? ''))}`
      );
  }
  for (const [name] of action.outputs)
    if (!outputs.some(([n]) => n === name))
      out.push(`actions.${action.id}.outputs.${name}: not in action.yml`);
  return out;
}

/** An input of a parsed action.yml as the manifest writes it. */
function asManifestInput(spec) {
  const required = spec?.required === true || spec?.required === 'true';
  const value = spec?.default === undefined || spec?.default === null ? '' : String(spec.default);
  return {
    description: String(spec?.description ?? ''),
    ...(required ? { required: true } : value !== '' ? { default: value } : {})
  };
}

/**
 * Take an action's inputs and outputs from its (hand-edited) action.yml into the manifest text: the action's
 * own inputs become what the action.yml declares, in its order; inputs of a group the action uses stay a
 * `$group` reference, and a changed text of one changes the group, for every action that uses it. A group
 * input the action.yml lacks, or a default on a prefixed one, is a problem to settle by hand, and nothing is
 * changed then.
 * @returns {{ text: string, problems: string[] }} the new manifest text (unchanged when there are problems)
 */
export function adoptActionYml(manifestText, id, actionDoc) {
  const doc = parseDocument(manifestText);
  const manifest = loadManifest(manifestText);
  const declared = manifest.actions[id];
  if (!declared) return { text: manifestText, problems: [`${MANIFEST} declares no action ${id}`] };
  const expanded = new Map(expand(manifest).find((a) => a.id === id).inputs);
  const members = new Map();
  for (const [key, value] of Object.entries(declared.inputs ?? {})) {
    if (!key.startsWith('$')) continue;
    const prefix = value?.prefix ?? '';
    for (const name of Object.keys(manifest.groups[key.slice(1)] ?? {}))
      members.set(prefix + name, { key, prefix });
  }
  const problems = [];
  const inputs = {};
  const theirs = actionDoc?.inputs ?? {};
  for (const [name, spec] of Object.entries(theirs)) {
    const member = members.get(name);
    if (!member) {
      // An action.yml has no options: the manifest's stay (the node as written, so its flow style too).
      const options = doc.getIn(['actions', id, 'inputs', name, 'options'], true);
      inputs[name] = { ...asManifestInput(spec), ...(options ? { options } : {}) };
      continue;
    }
    // The reference node as written (`$health: { prefix: 'health-' }` keeps its flow style).
    if (!(member.key in inputs))
      inputs[member.key] = doc.getIn(['actions', id, 'inputs', member.key], true) ?? null;
    const want = asManifestInput(spec);
    const have = expanded.get(name);
    if (
      have.description === want.description &&
      have.required === (want.required === true) &&
      (have.required || have.default === (want.default ?? ''))
    )
      continue;
    // The group's text is shared: take the action.yml's. Whoever adopts several actions checks afterwards that
    // each still gets what its action.yml says (catalog.mjs --adopt does), so two that disagree are caught.
    const group = member.key.slice(1);
    const bare = name.slice(member.prefix.length);
    const path = ['groups', group, bare];
    if (!member.prefix) {
      const keep = manifest.groups[group][bare]['prefixed-description'];
      const options = doc.getIn([...path, 'options'], true);
      doc.setIn(
        path,
        doc.createNode({
          ...want,
          ...(keep ? { 'prefixed-description': keep } : {}),
          ...(options ? { options } : {})
        })
      );
    } else if (want.required || want.default !== undefined)
      problems.push(
        `${id}/action.yml: ${name} has a default or is required, which a prefixed group input cannot be; settle groups.${group}.${bare} by hand`
      );
    else doc.setIn([...path, 'prefixed-description'], want.description);
  }
  for (const name of members.keys())
    if (!(name in theirs))
      problems.push(`${id}/action.yml lacks ${name}, which its group declares; change the group by hand`);
  if (problems.length) return { text: manifestText, problems };
  const outputs = Object.fromEntries(
    Object.entries(actionDoc?.outputs ?? {}).map(([n, spec]) => [n, String(spec?.description ?? '')])
  );
  doc.setIn(['actions', id, 'inputs'], doc.createNode(inputs));
  doc.setIn(['actions', id, 'outputs'], doc.createNode(outputs));
  return {
    text: doc.toString({
      lineWidth: 0,
      nullStr: '',
      defaultStringType: 'QUOTE_SINGLE',
      defaultKeyType: 'PLAIN'
    }),
    problems
  };
}
