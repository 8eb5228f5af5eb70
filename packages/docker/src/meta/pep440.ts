/**
 * PEP 440 versions (Python packaging), for `type=pep440` tag rules: parse, normalise, and the parts the
 * patterns use. Written from the specification (https://peps.python.org/pep-0440/, "Appendix B").
 */
export interface Pep440 {
  epoch: number;
  release: number[];
  pre?: { label: 'a' | 'b' | 'rc'; n: number };
  post?: number;
  dev?: number;
  local?: string;
}

const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(\\d+)!)?' + // epoch
    '(\\d+(?:\\.\\d+)*)' + // release
    '(?:[-_.]?(alpha|beta|preview|pre|a|b|c|rc)[-_.]?(\\d+)?)?' + // pre
    '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?' + // post
    '(?:[-_.]?(dev)[-_.]?(\\d+)?)?' + // dev
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + // local
    '\\s*$',
  'i'
);

export function parsePep440(text: string): Pep440 | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const preLabel = m[3]?.toLowerCase();
  const v: Pep440 = {
    epoch: Number(m[1] ?? 0),
    release: m[2]!.split('.').map(Number)
  };
  if (preLabel)
    v.pre = {
      label:
        preLabel === 'alpha' || preLabel === 'a' ? 'a' : preLabel === 'beta' || preLabel === 'b' ? 'b' : 'rc',
      n: Number(m[4] ?? 0)
    };
  if (m[5] !== undefined) v.post = Number(m[5]);
  else if (m[6] !== undefined) v.post = Number(m[7] ?? 0);
  if (m[8] !== undefined) v.dev = Number(m[9] ?? 0);
  if (m[10] !== undefined) v.local = m[10].toLowerCase().replace(/[-_]/g, '.');
  return v;
}

/** The normalised form: `1.0b2.post345.dev456+ubuntu.1`. */
export function normalizePep440(v: Pep440): string {
  let s = v.epoch ? `${v.epoch}!` : '';
  s += v.release.join('.');
  if (v.pre) s += `${v.pre.label}${v.pre.n}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local}`;
  return s;
}

/** A pre-, post- or dev-release: such versions only ever yield their full version, and never `latest`. */
export function isPep440Special(v: Pep440): boolean {
  return v.pre !== undefined || v.post !== undefined || v.dev !== undefined;
}
