/** UTC calendar fields of an instant (month 0-based, as in Date). Pure arithmetic, no ambient time. */
export interface UtcFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function utcFields(ms: number): UtcFields {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

/** The instant (ms) of UTC calendar fields; months and days outside their range roll over as in `Date.UTC`. */
export function utcTime(year: number, month: number, day = 1, hour = 0, minute = 0): number {
  return Date.UTC(year, month, day, hour, minute);
}
