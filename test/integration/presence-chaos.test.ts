import { describe, it } from 'node:test';
import { assertConverged, chaosSeed } from '../chaos/assert-chaos.ts';
import { runPresenceChaos } from '../chaos/presence-chaos.ts';
import { startServer } from '../helpers/server.ts';

// Issue 11: on one node, presence converges to the last acknowledged operations under cuts, moves and reopens.
// A larger run: `npm run chaos -- --clients 40 --seconds 40`.
describe('presence chaos on one node (memory)', () => {
  it('REST, an observer and a late joiner all equal the truth after seeded churn', async (t) => {
    const seed = chaosSeed();
    const { port } = await startServer(t, { minRemainPresentFor: 500 });
    const report = await runPresenceChaos({
      seed,
      clients: 16,
      durationMs: 10_000,
      ports: [port],
      remainPresentFor: 1_000,
      channel: 'chaos-memory',
      after: (fn) => t.after(fn),
      log: (line) => console.log(`# ${line}`),
    });
    assertConverged(report, seed);
  });
});
