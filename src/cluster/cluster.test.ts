import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../config/index.ts';
import { Node } from '../node/node.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { Cluster, THOROUGH_REASSERT_EVERY } from './cluster.ts';
import type { ClusterBus, ClusterLink } from './cluster-bus.ts';
import type { ClusterMessage } from './cluster-message.ts';
import type { ChannelDiffs, ClusterPresenceStore } from './cluster-presence-store.ts';
import type { NodeRegistry } from './node-registry.ts';

/** A shared store whose cluster operations find nothing to do; each test's store says what its re-assert does. */
abstract class StubClusterStore extends MemoryPresenceStore implements ClusterPresenceStore {
  abstract reassert(live: unknown, timestamp: number, thorough?: boolean): Promise<ChannelDiffs>;
  async removeNode(): Promise<ChannelDiffs> {
    return [];
  }
  async sweepLeaves(): Promise<ChannelDiffs> {
    return [];
  }
  async scheduleLeave(): Promise<void> {}
  async adopt(): Promise<void> {}
}

/** A shared store whose re-assert pass takes as long as the test wants (as one over many members does). */
class SlowReassertStore extends StubClusterStore {
  private release: (() => void) | undefined;
  reasserts = 0;

  /** Lets the pending re-assert pass finish. */
  finish(): void {
    this.release?.();
  }

  async reassert(): Promise<ChannelDiffs> {
    this.reasserts++;
    await new Promise<void>((resolve) => {
      this.release = resolve;
    });
    return [];
  }
}

/** Records heartbeats; no node is ever silent. */
class RecordingRegistry implements NodeRegistry {
  readonly beats: number[] = [];
  async beat(_nodeId: string, now: number): Promise<void> {
    this.beats.push(now);
  }
  async silentSince(): Promise<string[]> {
    return [];
  }
  async claimReap(): Promise<boolean> {
    return false;
  }
  async list(): Promise<Array<{ nodeId: string; lastBeat: number }>> {
    return [];
  }
  async forget(): Promise<void> {}
}

/** A bus that hands the test the node's handler, so it can deliver control messages. */
class HandBus implements ClusterBus {
  deliver: (message: ClusterMessage) => void = () => {};
  async publish(): Promise<void> {}
  onMessage(handler: (message: ClusterMessage) => void): void {
    this.deliver = handler;
  }
}

const alwaysUp: ClusterLink = { isUp: () => true, onChange: () => {}, onSubscriptionsLost: () => {} };

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('a long re-assert pass does not stop the heartbeat (peers would reap a node busy re-asserting many members)', async () => {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: 'app.key:secret' }] });
  const history = new MemoryHistoryStore(clock, { maxAge: config.historyMaxAge, maxPerChannel: config.historyMaxPerChannel });
  const node = new Node({ config, clock, presenceStore: new MemoryPresenceStore(), broker: new MemoryBroker(history), history });
  const store = new SlowReassertStore();
  const registry = new RecordingRegistry();
  const bus = new HandBus();
  const cluster = new Cluster({ node, config, clock, store, registry, bus, link: alwaysUp });
  cluster.start();
  await settle();
  // Told it was reaped, the node re-asserts on its next pass, which then takes several heartbeat intervals.
  bus.deliver({ type: 'node-down', nodeId: config.serverId, by: 'another-node' });
  clock.advance(config.nodeHeartbeatInterval);
  await settle();
  assert.equal(store.reasserts, 1, 'the re-assert pass began');
  const before = registry.beats.length;
  const intervals = Math.ceil(config.nodeDownTimeout / config.nodeHeartbeatInterval);
  for (let i = 0; i < intervals; i++) {
    clock.advance(config.nodeHeartbeatInterval);
    await settle();
  }
  assert.equal(registry.beats.length - before, intervals, 'one heartbeat per interval while the pass runs');
  assert.equal(store.reasserts, 1, 'no second pass overlaps the first');
  store.finish();
  await settle();
  await cluster.stop();
  node.shutdown();
});

/** A shared store that records whether each re-assert pass was thorough, and fails the ones it is told to. */
class RecordingReassertStore extends StubClusterStore {
  readonly passes: boolean[] = [];
  failNext = false;

  async reassert(_live: unknown, _timestamp: number, thorough = true): Promise<ChannelDiffs> {
    this.passes.push(thorough);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Redis slot failing over');
    }
    return [];
  }
}

test('a pass after being reaped checks every member, until one gets through; the periodic pass only refreshes', async () => {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: 'app.key:secret' }] });
  const history = new MemoryHistoryStore(clock, { maxAge: config.historyMaxAge, maxPerChannel: config.historyMaxPerChannel });
  const node = new Node({ config, clock, presenceStore: new MemoryPresenceStore(), broker: new MemoryBroker(history), history });
  const store = new RecordingReassertStore();
  const bus = new HandBus();
  const cluster = new Cluster({ node, config, clock, store, registry: new RecordingRegistry(), bus, link: alwaysUp });
  cluster.start();
  await settle();
  bus.deliver({ type: 'node-down', nodeId: config.serverId, by: 'another-node' });
  store.failNext = true;
  clock.advance(config.nodeHeartbeatInterval);
  await settle();
  // The failed thorough pass is wanted again at the next tick, not only after memberTtl / 3.
  clock.advance(config.nodeHeartbeatInterval);
  await settle();
  assert.deepEqual(store.passes, [true, true]);
  for (let waited = 0; waited < config.memberTtl / 3; waited += config.nodeHeartbeatInterval) {
    clock.advance(config.nodeHeartbeatInterval);
    await settle();
  }
  assert.deepEqual(store.passes, [true, true, false], 'the periodic pass is not thorough');
  // With no sign of loss, every THOROUGH_REASSERT_EVERY-th pass still checks every member.
  while (store.passes.length < 2 + THOROUGH_REASSERT_EVERY + 1) {
    clock.advance(config.nodeHeartbeatInterval);
    await settle();
  }
  const periodic = store.passes.slice(2);
  assert.deepEqual(
    periodic.map((thorough, i) => (thorough ? i + 1 : 0)).filter(Boolean),
    [THOROUGH_REASSERT_EVERY],
    'the tenth periodic pass is thorough, the others only refresh',
  );
  await cluster.stop();
  node.shutdown();
});
