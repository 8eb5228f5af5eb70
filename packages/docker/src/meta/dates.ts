import { InputError } from '../../../core/src/index.js';

/**
 * Moment.js format strings (what metadata-action's `{{date 'FORMAT' tz='Zone'}}` takes), rendered with the
 * runtime's own time-zone database (Intl), so no tz data is bundled. Tokens: YYYY YY Q M MM MMM MMMM D DD
 * Do DDD DDDD d dd ddd dddd E H HH h hh k kk m mm s ss S SS SSS A a Z ZZ X x, and [literal] text.
 */
const DEFAULT_FORMAT = 'YYYY-MM-DDTHH:mm:ssZ';
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December'
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const TOKEN =
  /\[([^\]]*)\]|YYYY|YY|Q|MMMM|MMM|MM|M|DDDD|DDD|Do|DD|D|dddd|ddd|dd|d|E|HH|H|hh|h|kk|k|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x/g;

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  weekday: number;
  /** Minutes east of UTC. */
  offset: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const walls = new Map<string, Wall>();

/** The wall clock of `date` in `tz`; Intl's formatToParts is slow, and a run asks for few instants. */
function wallClock(date: Date, tz: string): Wall {
  const key = `${date.getTime()} ${tz}`;
  let w = walls.get(key);
  if (!w) {
    if (walls.size > 1000) walls.clear();
    w = computeWall(date, tz);
    walls.set(key, w);
  }
  return w;
}

function computeWall(date: Date, tz: string): Wall {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric'
      });
    } catch {
      throw new InputError('tags', `tz='${tz}' is not a time zone`, "use an IANA name, e.g. tz='Asia/Tokyo'");
    }
    formatters.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  const n = (k: string) => Number(parts[k]);
  const wall = { year: n('year'), month: n('month'), day: n('day'), hour: n('hour') % 24 };
  const minute = n('minute');
  const second = n('second');
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, minute, second);
  const offset = Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const weekday = new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
  return { ...wall, minute, second, ms: date.getUTCMilliseconds(), weekday, offset };
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

function zone(offset: number, sep: string): string {
  return `${offset < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offset) / 60))}${sep}${pad(Math.abs(offset) % 60)}`;
}

type Part = (w: Wall, date: Date) => string;

const dayOfYear = (w: Wall) =>
  Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;

/** A number token and its doubled form: `M` writes 3, `MM` writes 03. */
const numeric = (token: string, value: (w: Wall) => number): Record<string, Part> => ({
  [token]: (w) => String(value(w)),
  [token + token]: (w) => pad(value(w))
});

/** What each moment.js token writes. */
const PARTS: Record<string, Part> = {
  YYYY: (w) => String(w.year).padStart(4, '0'),
  YY: (w) => pad(w.year % 100),
  Q: (w) => String(Math.ceil(w.month / 3)),
  MMMM: (w) => MONTHS[w.month - 1]!,
  MMM: (w) => MONTHS[w.month - 1]!.slice(0, 3),
  ...numeric('M', (w) => w.month),
  DDDD: (w) => pad(dayOfYear(w), 3),
  DDD: (w) => String(dayOfYear(w)),
  Do: (w) => ordinal(w.day),
  ...numeric('D', (w) => w.day),
  dddd: (w) => DAYS[w.weekday]!,
  ddd: (w) => DAYS[w.weekday]!.slice(0, 3),
  dd: (w) => DAYS[w.weekday]!.slice(0, 2),
  d: (w) => String(w.weekday),
  E: (w) => String(w.weekday === 0 ? 7 : w.weekday),
  ...numeric('H', (w) => w.hour),
  ...numeric('h', (w) => w.hour % 12 || 12),
  ...numeric('k', (w) => w.hour || 24),
  ...numeric('m', (w) => w.minute),
  ...numeric('s', (w) => w.second),
  SSS: (w) => pad(w.ms, 3),
  SS: (w) => pad(Math.floor(w.ms / 10)),
  S: (w) => String(Math.floor(w.ms / 100)),
  A: (w) => (w.hour < 12 ? 'AM' : 'PM'),
  a: (w) => (w.hour < 12 ? 'am' : 'pm'),
  ZZ: (w) => zone(w.offset, ''),
  Z: (w) => zone(w.offset, ':'),
  X: (_w, date) => String(Math.floor(date.getTime() / 1000)),
  x: (_w, date) => String(date.getTime())
};

/** Format `date` in time zone `tz` with a moment.js format (undefined: moment's default ISO form). */
export function formatDate(date: Date, format: string | undefined, tz = 'UTC'): string {
  const w = wallClock(date, tz);
  // moment's default format writes UTC as a literal Z.
  const fmt = format ?? (w.offset === 0 ? DEFAULT_FORMAT.replace(/Z$/, '[Z]') : DEFAULT_FORMAT);
  return fmt.replace(TOKEN, (tok, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    return PARTS[tok]?.(w, date) ?? tok;
  });
}
