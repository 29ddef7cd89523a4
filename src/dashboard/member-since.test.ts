import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Action, PresenceAction, type PresenceMessage } from '../protocol/index.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { memberSince } from './member-since.ts';

const CH = 'app:room';

function recorder() {
  const clock = new ManualClock();
  const history = new MemoryHistoryStore(clock, { maxAge: 3_600_000, maxPerChannel: 1000 });
  let seq = 0;
  const record = (action: number, clientId: string, connectionId: string, timestamp: number) => {
    seq++;
    const item: PresenceMessage = { action, clientId, connectionId, timestamp, id: `${connectionId}:${seq}:0` };
    return history.append('presence', {
      channel: CH,
      serial: `e-${seq}`,
      seq,
      message: { action: Action.PRESENCE, channel: 'room', presence: [item] },
    });
  };
  return { history, record };
}

test('since is the latest ENTER of each member; updates do not move it; a re-entry after a leave does', async () => {
  const { history, record } = recorder();
  await record(PresenceAction.ENTER, 'ann', 'c1', 1000);
  await record(PresenceAction.UPDATE, 'ann', 'c1', 2000);
  await record(PresenceAction.ENTER, 'bob', 'c2', 3000);
  await record(PresenceAction.LEAVE, 'bob', 'c2', 4000);
  await record(PresenceAction.ENTER, 'bob', 'c2', 5000);
  const members = [
    { clientId: 'ann', connectionId: 'c1' },
    { clientId: 'bob', connectionId: 'c2' },
  ];
  assert.deepEqual(await memberSince(history, CH, members, 1000), [
    { clientId: 'ann', connectionId: 'c1', since: 1000 },
    { clientId: 'bob', connectionId: 'c2', since: 5000 },
  ]);
});

test('a member whose ENTER is older than the history read is null, not a guess', async () => {
  const { history, record } = recorder();
  await record(PresenceAction.ENTER, 'ann', 'c1', 1000);
  for (let i = 0; i < 5; i++) await record(PresenceAction.UPDATE, 'ann', 'c1', 2000 + i);
  const members = [
    { clientId: 'ann', connectionId: 'c1' },
    { clientId: 'zed', connectionId: 'c9' },
  ];
  assert.deepEqual(await memberSince(history, CH, members, 3), [
    { clientId: 'ann', connectionId: 'c1', since: null },
    { clientId: 'zed', connectionId: 'c9', since: null },
  ]);
  assert.equal((await memberSince(history, CH, members, 1000))[0]?.since, 1000);
});
