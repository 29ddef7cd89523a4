import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { redisSkip } from '../helpers/redis.ts';
import { startRedisBackends } from '../helpers/redis-topologies.ts';
import { connectionState } from '../helpers/server.ts';
import { clientFor, PresenceLog, spawnNode, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
const backends = await startRedisBackends(after, skip);

const HEARTBEAT = 100;
const NODE_DOWN = 600;
/** The members' own grace: longer than nodeDownTimeout, so leaving at nodeDownTimeout would show. */
const GRACE = 4_000;
/** A survivor's tick after the grace ends, plus slack for a loaded test machine. */
const SLACK = 2 * HEARTBEAT + 2_000;

for (const [topology, redis] of backends) {
  describe(`cluster on Redis: a node dies (kill -9) (${topology})`, { skip }, () => {
    it('its members keep their own remainPresentFor: one that resumes elsewhere sees no event, 100 others leave once when it ends', async (t) => {
      const settings = {
        redisPrefix: redis.prefix(t),
        nodeHeartbeatInterval: HEARTBEAT,
        nodeDownTimeout: NODE_DOWN,
        memberTtl: 2_000,
      };
      const [victim, ...survivors] = await Promise.all([0, 1, 2].map(() => spawnNode(t, redis.url, settings)));
      const channelName = 'room-kill';
      const watchers = survivors.map((n) => {
        const ch = clientFor(t, n!.port, { clientId: `watcher-${n!.port}` }).channels.get(channelName);
        return { ch, log: new PresenceLog(ch) };
      });
      for (const w of watchers) await w.ch.attach();

      // 100 members held by the victim (one wildcard connection entering on behalf of 100 clientIds), whose grace
      // (4 s) is longer than nodeDownTimeout and than memberTtl: the TTL backstop must not remove them silently.
      const holder = clientFor(t, victim!.port, { transportParams: { remainPresentFor: GRACE } }).channels.get(channelName);
      await Promise.all(Array.from({ length: 100 }, (_, i) => holder.presence.enterClient(`member-${i}`, { i })));
      // One more, behind a load balancer: after the kill it reconnects to a survivor and resumes there.
      const proxy = new TcpProxy(victim!.port);
      await proxy.listen(t);
      // While the balancer still points at the dead node its reconnection attempts are refused; it retries often.
      const agent = clientFor(t, proxy.port, {
        clientId: 'agent',
        transportParams: { remainPresentFor: GRACE },
        disconnectedRetryTimeout: 300,
      });
      await agent.channels.get(channelName).presence.enter('working');
      const agentId = agent.connection.id;
      for (const w of watchers) await w.log.until(() => w.log.count('enter') === 101);

      const killedAt = performance.now();
      await victim!.kill();
      proxy.dropAll();
      await connectionState(agent, 'disconnected');
      // Past nodeDownTimeout (the node is reaped) but within the grace, the agent comes back through a survivor.
      // The reap itself shows nothing to clients any more (that is the point), so this one wait is a fixed one.
      await new Promise((resolve) => setTimeout(resolve, NODE_DOWN + 4 * HEARTBEAT));
      proxy.route(survivors[0]!.port);
      await connectionState(agent, 'connected');
      assert.equal(agent.connection.id, agentId, 'resumed, not a new connection');
      agent.connection.on((change) => assert.fail(`the agent's connection changed again: ${change.current}`));

      const elapsed = await Promise.all(
        watchers.map(async (w) => {
          await w.log.until(() => w.log.count('leave') >= 100);
          return performance.now() - killedAt;
        }),
      );
      console.log(
        `# kill -9 → 100 LEAVEs on each survivor after ${elapsed.map((e) => Math.round(e)).join(' / ')} ms (grace ${GRACE})`,
      );
      // The grace counts from the node's last heartbeat, at most one interval before the kill.
      for (const e of elapsed) {
        assert.ok(e >= GRACE - HEARTBEAT, `LEAVEs came after ${Math.round(e)} ms, before the members' grace ended`);
        assert.ok(e < GRACE + NODE_DOWN + SLACK, `LEAVEs took ${Math.round(e)} ms`);
      }

      // A marker entering afterwards proves nothing else was in flight: exactly 100 LEAVEs, each member once, and
      // none for the agent, which resumed.
      await clientFor(t, survivors[1]!.port, { clientId: 'marker' }).channels.get(channelName).presence.enter();
      for (const w of watchers) await w.log.until((e) => e.some((m) => m.clientId === 'marker'));
      for (const w of watchers) {
        const leaves = w.log.events.filter((m) => m.action === 'leave');
        assert.equal(leaves.length, 100);
        assert.equal(new Set(leaves.map((m) => m.clientId)).size, 100);
        assert.ok(!leaves.some((m) => m.clientId === 'agent'), 'the resumed agent never left');
        const agentEvents = w.log.events.filter((m) => m.clientId === 'agent');
        assert.deepEqual(
          agentEvents.map((m) => m.action),
          ['enter'],
          JSON.stringify(agentEvents.map((m) => [m.action, m.id, m.timestamp, m.connectionId])),
        );
        // LEAVEs carry the member's data.
        assert.deepEqual(leaves.find((m) => m.clientId === 'member-7')?.data, { i: 7 });
      }
      // Fresh clients on every survivor see the agent and the marker: no ghost, nothing lost.
      for (const n of survivors) {
        const fresh = clientFor(t, n!.port, { clientId: `fresh-${n!.port}` }).channels.get(channelName);
        const members = await fresh.presence.get();
        assert.deepEqual(members.map((m) => m.clientId).sort(), ['agent', 'marker']);
        const rest = await fetch(`http://127.0.0.1:${n!.port}/health`);
        assert.equal(rest.status, 200);
      }
    });
  });
}
