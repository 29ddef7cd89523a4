import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Action, PresenceAction, type PresenceMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { ClientTracker } from './client-tracker.ts';
import type { ClientTransition } from './client-transition.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { MemoryDeviceRegistry } from './memory-device-registry.ts';

const event = (presence: PresenceMessage[], origin?: string): ChannelEvent => ({
  channel: 'app:session-42',
  serial: 'e-1',
  seq: 1,
  origin,
  message: { action: Action.PRESENCE, channel: 'session-42', presence },
});
const enter = (connectionId: string, data?: string): PresenceMessage => ({
  action: PresenceAction.ENTER,
  clientId: 'user-123',
  connectionId,
  data,
});
const leave = (connectionId: string, data?: string, encoding?: string): PresenceMessage => ({
  action: PresenceAction.LEAVE,
  clientId: 'user-123',
  connectionId,
  data,
  encoding,
});

function tracker(registry: DeviceRegistry = new MemoryDeviceRegistry()) {
  const clock = new ManualClock();
  const out: ClientTransition[] = [];
  const errors: unknown[] = [];
  const t = new ClientTracker(
    registry,
    clock,
    (x) => out.push(x),
    (e) => errors.push(e),
    {
      base: 100,
      max: 400,
      horizon: 1000,
    },
  );
  return { t, out, errors, clock };
}

test('counts devices: one online for the first, one offline for the last, with its reason and decoded data', async () => {
  const { t, out } = tracker();
  t.observe(event([enter('desk', 'd'), enter('mob', 'm')], 'desk'), 'leave');
  t.observe(event([leave('mob')], 'mob'), 'leave');
  t.observe(event([{ action: PresenceAction.UPDATE, clientId: 'user-123', connectionId: 'desk' }], 'desk'), 'leave');
  t.observe(event([leave('desk', '{"reason":"session-completed"}', 'json')], 'desk'), 'leave');
  await t.idle();
  assert.deepEqual(
    out.map((x) => [x.name, x.payload.devices, x.payload.connectionId, x.payload.reason, x.payload.data]),
    [
      ['client.online', 1, 'desk', 'enter', 'd'],
      ['client.offline', 0, 'desk', 'leave', { reason: 'session-completed' }],
    ],
  );
  assert.equal(out[0]?.payload.channel, 'session-42');
  assert.equal(out[0]?.channelKey, 'app:session-42');
});

test('server-made ENTERs (members written back) rebuild the count without an online', async () => {
  const { t, out } = tracker();
  t.observe(event([enter('desk')]), 'close');
  t.observe(event([leave('desk')]), 'timeout');
  await t.idle();
  assert.deepEqual(
    out.map((x) => [x.name, x.payload.reason]),
    [['client.offline', 'timeout']],
  );
});

test('a registry that fails is retried on the clock; one that keeps failing is given up after the horizon', async () => {
  const memory = new MemoryDeviceRegistry();
  let failures = 2;
  const flaky: DeviceRegistry = {
    arrive: (...a) => (failures-- > 0 ? Promise.reject(new Error('redis down')) : memory.arrive(...a)),
    depart: () => Promise.reject(new Error('still down')),
  };
  const { t, out, errors, clock } = tracker(flaky);
  t.observe(event([enter('desk')], 'desk'), 'leave');
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  await settle();
  assert.equal(out.length, 0);
  clock.advance(100);
  await settle();
  clock.advance(200);
  await t.idle();
  assert.deepEqual(
    out.map((x) => x.name),
    ['client.online'],
  );
  t.observe(event([leave('desk')], 'desk'), 'leave');
  for (let i = 0; i < 5; i++) {
    await settle();
    clock.advance(400);
  }
  await t.idle();
  assert.equal(out.length, 1);
  assert.match(String(errors[0]), /still down/);
});
