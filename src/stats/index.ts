export { fixtureEntries, fixtureRecord, type StatsEntries, type StatsRecord } from './entries.ts';
export { intervalId, intervalStart, parseIntervalId, parseTimeParam, STATS_UNITS, type StatsUnit } from './intervals.ts';
export { StatsRecorder } from './stats-recorder.ts';
export { MemoryStatsStore, type StatsItem, type StatsQuery, type StatsStore } from './stats-store.ts';
