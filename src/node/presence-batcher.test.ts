import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attachment } from '../connection/connection.ts';
import { Action, Flag, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { PresenceBatcher, type PresenceBatchSettings } from './presence-batcher.ts';

const CH = 'app:room';
const SUBSCRIBER = Flag.PRESENCE | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;

/** An attached attachment whose connection records what it is sent. */
function fakeAttachment(id: string, modes = SUBSCRIBER): Attachment & { sent: ProtocolMessage[] } {
  const sent: ProtocolMessage[] = [];
  const connection = { id, transport: {}, options: { echo: true }, sendShared: (m: ProtocolMessage) => sent.push(m) };
  return { connection, channel: CH, name: 'room', state: 'attached', modes, pending: [], lastSeq: 0, sent } as never;
}

let seq = 0;
function presenceEvent(origin: string, clientId: string, at: number): ChannelEvent {
  seq++;
  const message: ProtocolMessage = {
    action: Action.PRESENCE,
    channel: 'room',
    channelSerial: `e-${seq}`,
    id: `${origin}:${seq}`,
    connectionId: origin,
    timestamp: at,
    presence: [{ action: 2, clientId, data: 'x' }],
  };
  return { channel: CH, serial: `e-${seq}`, seq, origin, message };
}

function setup(settings: Partial<PresenceBatchSettings> = {}) {
  const clock = new ManualClock();
  const atts = [fakeAttachment('c1'), fakeAttachment('c2')];
  const set = new Set<Attachment>(atts);
  const batcher = new PresenceBatcher(
    clock,
    { window: 20, maxItems: 100, maxBytes: 1e6, minSubscribers: 2, ...settings },
    () => set,
  );
  return { clock, atts, set, batcher };
}

test('a quiet channel sends at once; a busy one merges events into one message per window, in order', () => {
  const { clock, atts, batcher } = setup();
  batcher.deliver(presenceEvent('c1', 'a', clock.now()));
  assert.equal(atts[0]?.sent.length, 1);
  clock.advance(5);
  batcher.deliver(presenceEvent('c2', 'b', clock.now()));
  batcher.deliver(presenceEvent('c1', 'c', clock.now() + 1));
  assert.equal(atts[0]?.sent.length, 1, 'held while the channel is busy');
  clock.advance(20);
  for (const att of atts) {
    assert.equal(att.sent.length, 2);
    const merged = att.sent[1] as ProtocolMessage;
    assert.equal(merged.channelSerial, `e-${seq}`, 'the last event serial');
    assert.deepEqual(
      merged.presence?.map((p) => [p.clientId, p.connectionId, p.id, p.timestamp]),
      [
        ['b', 'c2', `c2:${seq - 1}:0`, 1_700_000_000_005],
        ['c', 'c1', `c1:${seq}:0`, 1_700_000_000_006],
      ],
    );
    assert.equal(att.lastSeq, seq);
  }
  assert.equal(atts[0]?.sent[1], atts[1]?.sent[1], 'one shared message, encoded once per format');
});

test('a MESSAGE flushes held presence first; the batch size bounds a batch', () => {
  const { clock, atts, batcher } = setup({ maxItems: 3 });
  batcher.deliver(presenceEvent('c1', 'a', clock.now()));
  batcher.deliver(presenceEvent('c1', 'b', clock.now()));
  seq++;
  batcher.deliver({ channel: CH, serial: `e-${seq}`, seq, message: { action: Action.MESSAGE, channel: 'room', messages: [] } });
  assert.deepEqual(
    atts[0]?.sent.map((m) => m.action),
    [Action.PRESENCE, Action.PRESENCE, Action.MESSAGE],
  );
  for (let i = 0; i < 4; i++) batcher.deliver(presenceEvent('c1', `m${i}`, clock.now()));
  // The channel is still busy (the MESSAGE went out just now), so the first three are merged at the bound.
  assert.equal(atts[0]?.sent.at(-1)?.presence?.length, 3);
  clock.advance(20);
  assert.equal(atts[0]?.sent.at(-1)?.presence?.length, 1);
});

test('below minSubscribers nothing is held; a non-subscriber gets only its own events, unmerged', () => {
  const { clock, atts, set, batcher } = setup();
  const publisherOnly = fakeAttachment('c3', Flag.PRESENCE);
  set.add(publisherOnly);
  batcher.deliver(presenceEvent('c1', 'a', clock.now()));
  batcher.deliver(presenceEvent('c3', 'b', clock.now()));
  batcher.deliver(presenceEvent('c2', 'c', clock.now()));
  clock.advance(20);
  assert.deepEqual(
    publisherOnly.sent.map((m) => m.presence?.map((p) => p.clientId)),
    [['b']],
  );
  set.delete(publisherOnly);
  set.delete(atts[1] as Attachment);
  const before = atts[0]?.sent.length ?? 0;
  batcher.deliver(presenceEvent('c1', 'd', clock.now()));
  batcher.deliver(presenceEvent('c1', 'e', clock.now()));
  assert.equal(atts[0]?.sent.length, before + 2);
});
