import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingTransport } from '../../test/helpers/recording-transport.ts';
import { type Config, resolveConfig } from '../config/index.ts';
import { Node } from '../node/node.ts';
import { publishEvent } from '../node/publish.ts';
import { Action, Flag, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { MissedMessages } from './missed-messages.ts';

const KEY = 'app.key:secret';

/** History whose replay read waits until the test lets it go (live events arrive meanwhile). */
class GatedHistory extends MemoryHistoryStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  reads = 0;

  close(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async messagesAfter(channel: string, afterSeq: number): Promise<ChannelEvent[] | undefined> {
    this.reads++;
    await this.gate;
    return super.messagesAfter(channel, afterSeq);
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * A node with an attachment on 'room' over `history`, and a MissedMessages on it. While `deaf(true)`, events never
 * reach the node (its subscription is down); they are in history all the same.
 */
async function roomWithMissedMessages(clock: ManualClock, history: MemoryHistoryStore, config: Config) {
  const node = new Node({ config, clock, presenceStore: new MemoryPresenceStore(), broker: new MemoryBroker(history), history });
  const missed = new MissedMessages(node);
  let isDeaf = false;
  const held = node.intercept;
  node.intercept = (event) => isDeaf || (held?.(event) ?? false);
  const transport = new RecordingTransport();
  const events = node.open(transport, new URLSearchParams({ key: KEY, format: 'json', v: '6' }));
  await settle();
  events.onFrame(Buffer.from(JSON.stringify({ action: Action.ATTACH, channel: 'room' })), false);
  await settle();
  const publish = (data: string) =>
    publishEvent(node, 'app:room', { action: Action.MESSAGE, channel: 'room', id: `pub:${data}`, messages: [{ data }] });
  const deaf = (on: boolean) => {
    isDeaf = on;
  };
  return { node, missed, transport, publish, deaf };
}

test('missed messages are replayed merged with the live ones held meanwhile: each once, in channel order', async () => {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: KEY }] });
  const history = new GatedHistory(clock, { maxAge: config.historyMaxAge, maxPerChannel: config.historyMaxPerChannel });
  const { node, missed, transport, publish, deaf } = await roomWithMissedMessages(clock, history, config);
  const received = () =>
    transport.sent
      .map((f) => JSON.parse(String(f)) as ProtocolMessage)
      .filter((m) => m.action === Action.MESSAGE)
      .map((m) => m.messages?.[0]?.data);

  await publish('m1');
  missed.suspend();
  deaf(true);
  await publish('m2');
  await publish('m3');
  deaf(false);
  // The subscription is back: live events are held until the replay has run.
  await publish('m4');
  history.close();
  const replay = missed.replay();
  await settle();
  assert.equal(history.reads, 1, 'the replay is reading history');
  await publish('m5');
  assert.deepEqual(received(), ['m1'], 'nothing overtakes the replay');
  history.release();
  const result = await replay;
  assert.deepEqual(received(), ['m1', 'm2', 'm3', 'm4', 'm5']);
  assert.deepEqual(result, { channels: 1, replayed: 2, lost: 0 });
  assert.equal(missed.suspended, false);
  await publish('m6');
  assert.deepEqual(received(), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], 'live again');
  node.shutdown();
});

test('an attachment whose missed messages retention dropped gets ATTACHED without RESUMED and error 90003', async () => {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: KEY }], historyMaxPerChannel: 2 });
  const history = new MemoryHistoryStore(clock, { maxAge: config.historyMaxAge, maxPerChannel: 2 });
  const { node, missed, transport, publish, deaf } = await roomWithMissedMessages(clock, history, config);
  await publish('m1');
  missed.suspend();
  deaf(true);
  for (const data of ['m2', 'm3', 'm4', 'm5']) await publish(data);
  deaf(false);
  const result = await missed.replay();
  assert.deepEqual(result, { channels: 1, replayed: 0, lost: 1 });
  const frames = transport.sent.map((f) => JSON.parse(String(f)) as ProtocolMessage);
  const attached = frames.filter((m) => m.action === Action.ATTACHED);
  assert.equal(attached.length, 2);
  const signal = attached[1] as ProtocolMessage;
  assert.equal((signal.flags ?? 0) & Flag.RESUMED, 0, 'no RESUMED flag');
  assert.equal(signal.error?.code, 90003);
  await publish('m6');
  const data = frames
    .concat(transport.sent.slice(frames.length).map((f) => JSON.parse(String(f))))
    .flatMap((m) => (m.action === Action.MESSAGE ? [m.messages?.[0]?.data] : []));
  assert.deepEqual(data, ['m1', 'm6'], 'no partial replay; live from the signal on');
  node.shutdown();
});
