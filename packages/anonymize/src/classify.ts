import { describeTransformer, type Transformer } from './rules.js';

/**
 * A column's likely kind of personal data, from its name and type (the shapes `anon.detect` looks for).
 * Used twice: to propose rules for unclassified columns, and to pick the columns the leak check samples
 * whatever their rule says.
 */
export type Sensitivity = 'email' | 'phone' | 'name' | 'ip' | 'token' | null;

export function classify(column: string, type: string): Sensitivity {
  const c = column.toLowerCase();
  if (/(^|_)e?mail(_address)?$|email/.test(c)) return 'email';
  if (/(^|_)(phone|mobile|cell|fax|tel|telephone)(_number)?$|phone/.test(c)) return 'phone';
  if (/(^|_)name$|^(first|last|middle|full|given|family|sur)name$/.test(c)) return 'name';
  if (/(^|_)ip(_address|_addr)?$|^ip/.test(c) || /^(inet|cidr)$/.test(type)) return 'ip';
  if (/token|secret|password|passwd|api_?key|session_key|otp/.test(c)) return 'token';
  return null;
}

export const TEXT_TYPES = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext|varchar|name)$/;
export const DATE_TYPES = /^(date|timestamp(\(\d\))? with(out)? time zone)$/;

/** The rule to propose for a column the file does not name. */
export function propose(column: string, type: string, nullable: boolean): Transformer {
  const kind = classify(column, type);
  const text = TEXT_TYPES.test(type);
  if (kind === 'email' && text) return { kind: 'email' };
  if (kind === 'phone' && text) return { kind: 'phone' };
  if (kind === 'name' && text) return { kind: 'name' };
  if (kind === 'token' && text) return { kind: 'hash', length: 32 };
  if (kind === 'ip') return nullable ? { kind: 'null' } : { kind: 'constant', value: '192.0.2.1' };
  if (kind && text) return { kind: 'hash', length: 32 };
  if (kind) return nullable ? { kind: 'null' } : { kind: 'keep' };
  return { kind: 'keep' };
}

/** The YAML block to paste into the rules file, grouped by table. */
export function proposalYaml(
  missing: readonly { table: string; column: string; type: string; nullable: boolean }[]
): string {
  const byTable = new Map<string, string[]>();
  for (const m of missing) {
    const name = m.table.startsWith('public.') ? m.table.slice('public.'.length) : m.table;
    const kind = classify(m.column, m.type);
    const rule = describeTransformer(propose(m.column, m.type, m.nullable));
    const line = `      ${m.column}: ${rule}${kind ? `   # looks like ${kind} (${m.type})` : `   # ${m.type}: check it holds no personal data`}`;
    byTable.set(name, [...(byTable.get(name) ?? []), line]);
  }
  const lines = ['tables:'];
  for (const [t, cols] of byTable) lines.push(`  ${t}:`, '    columns:', ...cols);
  return lines.join('\n');
}
