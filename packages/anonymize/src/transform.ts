import { hmacKeyer } from './hmac.js';
import type { Transformer } from './rules.js';

/**
 * Deterministic transformers: the output depends only on the salt, the value (and, for shift-date, the
 * row's primary key), so the same input gives the same output in every table and every run, and joins on
 * masked values survive. Values are PostgreSQL's text form (COPY text format, already unescaped).
 */
export type ValueFn = (value: string | null, rowKey: () => string) => string | null;

const FIRST = [
  'Ada',
  'Ben',
  'Clara',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Keiko',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Xenia',
  'Yusuf',
  'Zoe'
];
const LAST = [
  'Abbott',
  'Berger',
  'Castillo',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quintero',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Uddin',
  'Varga',
  'Weber',
  'Xu',
  'Yilmaz',
  'Zimmer'
];

/** HMAC-SHA256(salt, `${purpose}\0${value}`), a fresh Buffer. */
export function keyed(salt: string, purpose: string, value: string): Buffer {
  return Buffer.from(hmacKeyer(salt, `${purpose}\0`)(value));
}

export function fakeName(d: Buffer): string {
  return `${FIRST[d[0]! % FIRST.length]} ${LAST[d[1]! % LAST.length]}`;
}

const FIRST_LOWER = FIRST.map((n) => n.toLowerCase());
const LAST_LOWER = LAST.map((n) => n.toLowerCase());
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 64 bits of the HMAC in the local part: two distinct source emails collide with odds ~n²/2^65. */
export function fakeEmail(d: Buffer): string {
  let hex = '';
  for (let i = 2; i < 10; i++) hex += HEX[d[i]!]!;
  return `${FIRST_LOWER[d[0]! % FIRST.length]}.${LAST_LOWER[d[1]! % LAST.length]}.${hex}@example.com`;
}

/** North American fictional range 555-01xx keeps fakes from dialling anyone. */
export function fakePhone(d: Buffer): string {
  const n = d.readUInt32BE(0) % 10_000;
  const area = 200 + (d.readUInt16BE(4) % 800);
  return `+1-${area}-555-01${String(n % 100).padStart(2, '0')}`;
}

/** A whole number of days in ±maxDays, never 0, from the row key's HMAC. */
function shiftOffset(d: Buffer, maxDays: number): number {
  const span = 2 * maxDays + 1;
  const off = (d.readUInt32BE(0) % span) - maxDays;
  return off === 0 ? 1 : off;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** Shift the date part of a date/timestamp/timestamptz text by whole days; time and zone stay. */
export function shiftDateText(value: string, days: number): string {
  const m = DATE.exec(value);
  if (!m || value.endsWith(' BC')) return value; // infinity, -infinity, BC dates: left as they are
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * 86_400_000;
  const d = new Date(t);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) return value;
  const date = `${String(y).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  return date + value.slice(m[0].length);
}

/** maxLength: the column's varchar(n)/char(n) limit, when it has one. */
export function makeValueFn(t: Transformer, salt: string, table: string, maxLength?: number): ValueFn {
  const cut = (s: string) => (maxLength !== undefined && s.length > maxLength ? s.slice(0, maxLength) : s);
  switch (t.kind) {
    case 'keep':
      return (v) => v;
    case 'null':
      return () => null;
    case 'constant':
      return (v) => (v === null ? null : t.value);
    case 'hash': {
      const k = hmacKeyer(salt, 'hash\0');
      const bytes = Math.ceil(t.length / 2);
      return (v) => (v === null ? null : cut(k(v).toString('hex', 0, bytes).slice(0, t.length)));
    }
    case 'email': {
      const k = hmacKeyer(salt, 'email\0');
      return (v) => (v === null ? null : fakeEmail(k(v)));
    }
    case 'name': {
      const k = hmacKeyer(salt, 'name\0');
      return (v) => (v === null ? null : cut(fakeName(k(v))));
    }
    case 'phone': {
      const k = hmacKeyer(salt, 'phone\0');
      return (v) => (v === null ? null : cut(fakePhone(k(v))));
    }
    case 'shift-date': {
      const k = hmacKeyer(salt, `shift-date:${table}\0`);
      return (v, rowKey) => (v === null ? null : shiftDateText(v, shiftOffset(k(rowKey()), t.maxDays)));
    }
    case 'regex-replace': {
      const re = new RegExp(t.pattern, 'gu');
      return (v) => (v === null ? null : v.replace(re, t.with));
    }
  }
}
