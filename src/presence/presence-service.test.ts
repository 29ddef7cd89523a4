import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PresenceAction, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { emptyDiff, type PresenceMember } from './member.ts';
import { PresenceService } from './presence-service.ts';

async function serviceWithEvents() {
  const clock = new ManualClock();
  const broker = new MemoryBroker();
  const events: ProtocolMessage[] = [];
  broker.onEvent((e: ChannelEvent) => events.push(e.message));
  await broker.subscribe('app:room');
  const history = new MemoryHistoryStore(clock, { maxAge: 60_000, maxPerChannel: 100 });
  return { service: new PresenceService(new MemoryPresenceStore(), broker, history, clock), events };
}

const member = (timestamp: number): PresenceMember => ({
  id: 'c1:7:0',
  clientId: 'alice',
  connectionId: 'c1',
  data: 'v7',
  timestamp,
});

test('a server-made LEAVE is never older than the member it removes (SDKs drop older synthesized leaves)', async () => {
  const { service, events } = await serviceWithEvents();
  const diff = emptyDiff();
  // The removal was timed at 1000, then took away a member that re-entered at 1500 meanwhile.
  diff.left.push({ ...member(1500), leave: { timestamp: 1000, data: 'v7' } });
  await service.broadcastLeaves('app:room', diff);
  const [item] = events[0]?.presence ?? [];
  assert.equal(item?.action, PresenceAction.LEAVE);
  assert.equal(item?.timestamp, 1500);
  assert.notEqual(item?.id?.startsWith('c1:'), true, 'server-made leaves must look synthesized');
});

test('members written back after the cluster lost them are announced as ENTER with their own id', async () => {
  const { service, events } = await serviceWithEvents();
  const diff = emptyDiff();
  diff.entered.push(member(1500));
  await service.broadcastLeaves('app:room', diff);
  assert.deepEqual(
    (events[0]?.presence ?? []).map((p) => [p.action, p.id, p.data]),
    [[PresenceAction.ENTER, 'c1:7:0', 'v7']],
  );
});
