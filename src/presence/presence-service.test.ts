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

async function serviceWithEvents(syncCacheMembers = 0) {
  const clock = new ManualClock();
  const broker = new MemoryBroker(new MemoryHistoryStore(clock, { maxAge: 60_000, maxPerChannel: 100 }));
  const events: ProtocolMessage[] = [];
  broker.onEvent((e: ChannelEvent) => events.push(e.message));
  await broker.subscribe('app:room');
  const service = new PresenceService(new MemoryPresenceStore(), broker, clock, undefined, syncCacheMembers);
  return { service, events };
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

test('SYNC pages of an unchanged set are reused, for that channel name only; any change makes new ones', async () => {
  const { service } = await serviceWithEvents(100);
  for (let i = 0; i < 5; i++) {
    await service.store.upsert('app:room', { id: `c${i}:1:0`, clientId: `u${i}`, connectionId: `c${i}`, timestamp: i }, 10);
  }
  const first = await service.currentSync('app:room', 'room', 2);
  assert.deepEqual(
    first.map((p) => p.presence?.length),
    [2, 2, 1],
  );
  assert.equal(await service.currentSync('app:room', 'room', 2), first, 'the same page objects (encoded once)');
  assert.notEqual(await service.currentSync('app:room', '[?filter]room', 2), first, 'another name gets its own pages');
  await service.store.upsert('app:room', { id: 'c0:2:0', clientId: 'u0', connectionId: 'c0', data: 'new', timestamp: 9 }, 10);
  const after = await service.currentSync('app:room', 'room', 2);
  assert.notEqual(after, first);
  assert.equal(after.flatMap((p) => p.presence ?? []).find((m) => m.clientId === 'u0')?.data, 'new');
  assert.deepEqual(await service.currentSync('app:nobody', 'nobody', 2), []);
});
