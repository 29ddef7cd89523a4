import { ErrorInfo } from '../errors/index.ts';
import { utcFields, utcTime } from '../time/calendar.ts';

/** Stats granularity (Ably: `unit`, formerly `by`). */
export type StatsUnit = 'minute' | 'hour' | 'day' | 'month';

export const STATS_UNITS: readonly StatsUnit[] = ['minute', 'hour', 'day', 'month'];

const pad = (n: number): string => String(n).padStart(2, '0');

/** The start (ms, UTC) of the `unit` interval containing `ms`. */
export function intervalStart(ms: number, unit: StatsUnit): number {
  const f = utcFields(ms);
  switch (unit) {
    case 'month':
      return utcTime(f.year, f.month);
    case 'day':
      return utcTime(f.year, f.month, f.day);
    case 'hour':
      return utcTime(f.year, f.month, f.day, f.hour);
    default:
      return utcTime(f.year, f.month, f.day, f.hour, f.minute);
  }
}

/** Ably's interval id: `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DD:HH` or `YYYY-MM-DD:HH:mm` (UTC). */
export function intervalId(ms: number, unit: StatsUnit): string {
  const f = utcFields(ms);
  const month = `${f.year}-${pad(f.month + 1)}`;
  if (unit === 'month') return month;
  const day = `${month}-${pad(f.day)}`;
  if (unit === 'day') return day;
  const hour = `${day}:${pad(f.hour)}`;
  return unit === 'hour' ? hour : `${hour}:${pad(f.minute)}`;
}

const INTERVAL_ID = /^(\d{4})-(\d{2})(?:-(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$/;

/** Parses an interval id into its start (ms) and unit; undefined when it is not one. */
export function parseIntervalId(id: string): { start: number; unit: StatsUnit } | undefined {
  const m = INTERVAL_ID.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map((v) => (v === undefined ? undefined : Number(v)));
  const unit: StatsUnit = mi !== undefined ? 'minute' : h !== undefined ? 'hour' : d !== undefined ? 'day' : 'month';
  const start = utcTime(y as number, (mo as number) - 1, d ?? 1, h ?? 0, mi ?? 0);
  return Number.isNaN(start) ? undefined : { start, unit };
}

/**
 * A `start`/`end` query value: epoch ms, or an interval id. An `end` interval id means the end of that interval, so
 * `end=2024-02-03:15` includes every minute of that hour.
 */
export function parseTimeParam(value: string, name: 'start' | 'end'): number {
  if (/^\d+$/.test(value)) return Number(value);
  const interval = parseIntervalId(value);
  if (!interval) throw ErrorInfo.of('invalidParameter', `${name} must be epoch ms or an interval id like 2024-02-03:15:04`);
  if (name === 'start') return interval.start;
  return nextIntervalStart(interval.start, interval.unit) - 1;
}

function nextIntervalStart(start: number, unit: StatsUnit): number {
  const f = utcFields(start);
  if (unit === 'month') return utcTime(f.year, f.month + 1);
  const lengths: Record<Exclude<StatsUnit, 'month'>, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
  return start + lengths[unit];
}
