// When reports go out. Three forms, all in UTC so a report's period never shifts with a
// daylight-saving change: `every 24h` (or just `24h`), `daily 08:00`, `weekly mon 08:00`.
// A report missed while the collector was down is sent once when it comes back, not once per
// missed period.
import { parseDuration } from '../../shared/duration.js';
import { PortdriftError } from '../../shared/errors.js';

export type Schedule =
  | { kind: 'every'; ms: number }
  | { kind: 'daily'; minute: number }
  | { kind: 'weekly'; day: number; minute: number };

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** No schedule may send more often than this: a report is a digest, not an alert. */
export const MIN_EVERY_MS = 60_000;

function bad(text: string, why: string): PortdriftError {
  return new PortdriftError(
    'PD_CONFIG_INVALID',
    `report schedule "${text}": ${why} (expected e.g. "every 24h", "daily 08:00" or "weekly mon 08:00", UTC)`,
  );
}

function clock(text: string, hhmm: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw bad(text, `"${hhmm}" is not a time HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function parseSchedule(text: string): Schedule {
  const parts = text.trim().toLowerCase().split(/\s+/);
  if (parts[0] === 'daily' && parts.length === 2) return { kind: 'daily', minute: clock(text, parts[1]!) };
  if (parts[0] === 'weekly' && parts.length === 3) {
    const day = DAYS.findIndex((d, i) => parts[1] === d || parts[1] === FULL_DAYS[i]);
    if (day === -1) throw bad(text, `"${parts[1]}" is not a weekday`);
    return { kind: 'weekly', day, minute: clock(text, parts[2]!) };
  }
  const spec = parts[0] === 'every' && parts.length === 2 ? parts[1]! : parts.length === 1 ? parts[0]! : null;
  if (spec === null) throw bad(text, 'unknown form');
  let ms: number;
  try {
    ms = parseDuration(spec);
  } catch {
    throw bad(text, `"${spec}" is not a duration`);
  }
  if (ms < MIN_EVERY_MS) throw bad(text, 'reports can be at most one a minute');
  return { kind: 'every', ms };
}

/** The latest calendar occurrence at or before `t`. */
function previous(s: Exclude<Schedule, { kind: 'every' }>, t: number): number {
  const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
  let at = dayStart + s.minute * 60_000;
  if (s.kind === 'weekly') at -= ((((new Date(dayStart).getUTCDay() - s.day) % 7) + 7) % 7) * DAY_MS;
  const period = s.kind === 'daily' ? DAY_MS : WEEK_MS;
  while (at > t) at -= period;
  return at;
}

/**
 * When the next report is due, given when the last one was made (null: never, a new
 * installation) and the time now. A result ≤ now means "now".
 */
export function nextDue(s: Schedule, last: number | null, now: number): number {
  if (s.kind === 'every') return last === null ? now + s.ms : Math.max(now, last + s.ms);
  const prev = previous(s, now);
  if (last !== null && last < prev) return now; // missed while down: send once now
  return prev + (s.kind === 'daily' ? DAY_MS : WEEK_MS);
}

export function describeSchedule(s: Schedule): string {
  const hm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  if (s.kind === 'every')
    return `every ${s.ms / 3_600_000 >= 1 && s.ms % 3_600_000 === 0 ? `${s.ms / 3_600_000}h` : `${s.ms / 60_000}m`}`;
  if (s.kind === 'daily') return `daily ${hm(s.minute)} UTC`;
  return `weekly ${DAYS[s.day]} ${hm(s.minute)} UTC`;
}
