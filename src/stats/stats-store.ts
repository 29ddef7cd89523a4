import type { StatsEntries, StatsRecord } from './entries.ts';
import { intervalId, intervalStart, type StatsUnit } from './intervals.ts';

/** A stats query (REST `GET /stats`): inclusive time range in ms, unit, direction, page size and offset. */
export interface StatsQuery {
  start?: number;
  end?: number;
  unit: StatsUnit;
  direction: 'backwards' | 'forwards';
  limit: number;
  offset: number;
  /** The current time: the interval holding it is still in progress (marked `inProgress`). */
  now?: number;
}

/** One Stats object as the SDK reads it (TS12). */
export interface StatsItem {
  intervalId: string;
  unit: StatsUnit;
  schema: string;
  appId: string;
  /** For the interval still in progress: the last minute it includes, `yyyy-mm-dd:hh:mm:ss` (Ably TS12 inProgress). */
  inProgress?: string;
  entries: StatsEntries;
}

/** Where an app's per-minute stats live; queries aggregate minutes into the asked unit. */
export interface StatsStore {
  /** Adds to the minutes' counters (fixtures and, later, live counters add up). */
  add(appId: string, records: StatsRecord[]): void;
  query(appId: string, q: StatsQuery): { items: StatsItem[]; more: boolean };
}

const SCHEMA = 'https://schemas.ably.com/json/app-stats-0.0.5.json';

/** Stats in process memory, per app. Single node only; lost on restart. */
export class MemoryStatsStore implements StatsStore {
  private readonly byApp = new Map<string, Map<number, StatsEntries>>();

  add(appId: string, records: StatsRecord[]): void {
    let minutes = this.byApp.get(appId);
    if (!minutes) this.byApp.set(appId, (minutes = new Map()));
    for (const r of records) {
      const start = intervalStart(r.start, 'minute');
      const entries = minutes.get(start) ?? {};
      for (const [k, v] of Object.entries(r.entries)) entries[k] = (entries[k] ?? 0) + v;
      minutes.set(start, entries);
    }
  }

  query(appId: string, q: StatsQuery): { items: StatsItem[]; more: boolean } {
    const groups = new Map<number, StatsEntries>();
    let latest = Number.NEGATIVE_INFINITY;
    for (const [minute, entries] of this.byApp.get(appId) ?? []) {
      const start = intervalStart(minute, q.unit);
      if (q.now !== undefined && minute <= q.now) latest = Math.max(latest, minute);
      if (q.start !== undefined && start < intervalStart(q.start, q.unit)) continue;
      if (q.end !== undefined && start > q.end) continue;
      const sum = groups.get(start) ?? {};
      for (const [k, v] of Object.entries(entries)) sum[k] = (sum[k] ?? 0) + v;
      groups.set(start, sum);
    }
    const starts = [...groups.keys()].sort((a, b) => (q.direction === 'forwards' ? a - b : b - a));
    const page = starts.slice(q.offset, q.offset + q.limit);
    return {
      items: page.map((start) => ({
        intervalId: intervalId(start, q.unit),
        unit: q.unit,
        schema: SCHEMA,
        appId,
        inProgress:
          q.now !== undefined && start === intervalStart(q.now, q.unit) && latest >= start
            ? `${intervalId(latest, 'minute')}:00`
            : undefined,
        entries: groups.get(start) as StatsEntries,
      })),
      more: q.offset + q.limit < starts.length,
    };
  }
}
