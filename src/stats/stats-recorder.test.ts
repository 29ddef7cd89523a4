import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Action } from '../protocol/index.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { StatsRecorder } from './stats-recorder.ts';
import { MemoryStatsStore } from './stats-store.ts';

const q = { unit: 'minute' as const, direction: 'forwards' as const, limit: 100, offset: 0 };
const message = (channel: string, origin?: string, duplicate?: boolean) => ({
  channel,
  serial: 'e-1',
  seq: 1,
  origin,
  duplicate,
  message: { action: Action.MESSAGE, messages: [{ name: 'n', data: 'dd' }] },
});

test('retransmissions, metachannel events and presence no connection made are not counted', () => {
  const clock = new ManualClock(1_700_000_000_000);
  const recorder = new StatsRecorder(new MemoryStatsStore(), clock);
  recorder.observePublish(message('app:room', 'conn-1'));
  recorder.observePublish(message('app:room', 'conn-1', true));
  recorder.observePublish(message('app:[meta]occupancy'));
  recorder.observePublish({
    ...message('app:room'),
    message: { action: Action.PRESENCE, presence: [{ action: 3, clientId: 'c' }] },
  });
  recorder.observePublish(message('app:room'));
  const [minute] = recorder.query('app', q).items;
  assert.deepEqual(
    Object.entries(minute?.entries ?? {}).filter(([k]) => k.endsWith('.count') && k.startsWith('messages.inbound.')),
    [
      ['messages.inbound.realtime.messages.count', 1],
      ['messages.inbound.realtime.all.count', 1],
      ['messages.inbound.all.messages.count', 2],
      ['messages.inbound.all.all.count', 2],
      ['messages.inbound.rest.messages.count', 1],
      ['messages.inbound.rest.all.count', 1],
    ],
  );
  assert.deepEqual(recorder.query('other', q).items, []);
});
