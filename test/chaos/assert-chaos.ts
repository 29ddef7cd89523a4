import assert from 'node:assert/strict';
import { type ChaosReport, describeDiff } from './presence-chaos.ts';

/** The seed for this run: ROLLCALL_CHAOS_SEED replays one; printed so any failure can be replayed. */
export function chaosSeed(): number {
  const seed = Number(process.env.ROLLCALL_CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));
  console.log(`# presence chaos seed ${seed} (ROLLCALL_CHAOS_SEED=${seed} replays it)`);
  return seed;
}

/** Every view equals the truth, members and data; no acknowledged operation was refused. */
export function assertConverged(report: ChaosReport, seed: number): void {
  const replay = `(replay with ROLLCALL_CHAOS_SEED=${seed})`;
  assert.deepEqual(report.stats.failed, [], `operations failed ${replay}`);
  assert.deepEqual(report.stats.lostResumes, [], `resumes refused (new connectionId) ${replay}`);
  assert.ok(report.stats.acked > 0, 'the script acknowledged no operation at all');
  const diffs = Object.entries({ rest: report.rest, observer: report.observer, lateJoiner: report.lateJoiner })
    .map(([name, view]) => describeDiff(name, view, report.truth, report.trail))
    .filter(Boolean);
  assert.equal(diffs.join('\n'), '', `views differ from the truth ${replay}:\n${diffs.join('\n')}`);
}
