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

/** Format `date` in time zone `tz` with a moment.js format (undefined: moment's default ISO form). */
export function formatDate(date: Date, format: string | undefined, tz = 'UTC'): string {
  const w = wallClock(date, tz);
  const dayOfYear =
    Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1;
  // moment's default format writes UTC as a literal Z.
  const fmt = format ?? (w.offset === 0 ? DEFAULT_FORMAT.replace(/Z$/, '[Z]') : DEFAULT_FORMAT);
  return fmt.replace(TOKEN, (tok, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    switch (tok) {
      case 'YYYY':
        return String(w.year).padStart(4, '0');
      case 'YY':
        return pad(w.year % 100);
      case 'Q':
        return String(Math.ceil(w.month / 3));
      case 'MMMM':
        return MONTHS[w.month - 1]!;
      case 'MMM':
        return MONTHS[w.month - 1]!.slice(0, 3);
      case 'MM':
        return pad(w.month);
      case 'M':
        return String(w.month);
      case 'DDDD':
        return pad(dayOfYear, 3);
      case 'DDD':
        return String(dayOfYear);
      case 'Do':
        return ordinal(w.day);
      case 'DD':
        return pad(w.day);
      case 'D':
        return String(w.day);
      case 'dddd':
        return DAYS[w.weekday]!;
      case 'ddd':
        return DAYS[w.weekday]!.slice(0, 3);
      case 'dd':
        return DAYS[w.weekday]!.slice(0, 2);
      case 'd':
        return String(w.weekday);
      case 'E':
        return String(w.weekday === 0 ? 7 : w.weekday);
      case 'HH':
        return pad(w.hour);
      case 'H':
        return String(w.hour);
      case 'hh':
        return pad(w.hour % 12 || 12);
      case 'h':
        return String(w.hour % 12 || 12);
      case 'kk':
        return pad(w.hour || 24);
      case 'k':
        return String(w.hour || 24);
      case 'mm':
        return pad(w.minute);
      case 'm':
        return String(w.minute);
      case 'ss':
        return pad(w.second);
      case 's':
        return String(w.second);
      case 'SSS':
        return pad(w.ms, 3);
      case 'SS':
        return pad(Math.floor(w.ms / 10));
      case 'S':
        return String(Math.floor(w.ms / 100));
      case 'A':
        return w.hour < 12 ? 'AM' : 'PM';
      case 'a':
        return w.hour < 12 ? 'am' : 'pm';
      case 'ZZ':
        return zone(w.offset, '');
      case 'Z':
        return zone(w.offset, ':');
      case 'X':
        return String(Math.floor(date.getTime() / 1000));
      case 'x':
        return String(date.getTime());
      default:
        return tok;
    }
  });
}
