import { ErrorInfo } from '../errors/index.ts';
import { parseIntervalId } from './intervals.ts';

/** Ably's stats entries: flat `section.sub.metric` → number (the `entries` of a Stats object, TS12r). */
export type StatsEntries = Record<string, number>;

/** One minute of an app's stats. */
export interface StatsRecord {
  /** Start of the minute, ms. */
  start: number;
  entries: StatsEntries;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function flatten(prefix: string, value: unknown, out: StatsEntries): void {
  if (typeof value === 'number') {
    out[prefix] = (out[prefix] ?? 0) + value;
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  }
}

/**
 * Ably's nested fixture shape (`inbound.realtime.messages.count`, as SDK suites post it) as entries: message
 * traffic under `messages.<direction>.<transport>.<kind>.<metric>` plus the `all` transport summed over
 * transports; everything else flattened as it is (`connections.tls.peak`, `channels.opened`...).
 */
export function fixtureEntries(fixture: Record<string, unknown>): StatsEntries {
  const entries: StatsEntries = {};
  if (isObject(fixture.entries)) flatten('', fixture.entries, entries);
  for (const [section, value] of Object.entries(fixture)) {
    if (section === 'intervalId' || section === 'entries' || section === 'unit') continue;
    if ((section === 'inbound' || section === 'outbound') && isObject(value)) {
      for (const [transport, kinds] of Object.entries(value)) {
        flatten(`messages.${section}.${transport}`, kinds, entries);
        if (transport !== 'all') flatten(`messages.${section}.all`, kinds, entries);
      }
    } else if (section === 'persisted') {
      flatten('messages.persisted', value, entries);
    } else {
      flatten(section, value, entries);
    }
  }
  return entries;
}

/** Validates a `POST /stats` fixture (needs a minute `intervalId`) and turns it into a record; 40003 otherwise. */
export function fixtureRecord(fixture: unknown): StatsRecord {
  if (!isObject(fixture) || typeof fixture.intervalId !== 'string') {
    throw ErrorInfo.of('invalidParameter', 'a stats fixture needs an intervalId');
  }
  const interval = parseIntervalId(fixture.intervalId);
  if (interval?.unit !== 'minute') {
    throw ErrorInfo.of(
      'invalidParameter',
      `stats fixture intervalId must be a minute (YYYY-MM-DD:HH:mm), got ${fixture.intervalId}`,
    );
  }
  return { start: interval.start, entries: fixtureEntries(fixture) };
}
