import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { AnnotationStore } from '../../messages/annotation-store.ts';
import type { MessageChange, MessageStore } from '../../messages/message-store.ts';
import { Action, AnnotationAction, type ProtocolMessage } from '../../protocol/index.ts';
import type { Broker, ChannelEvent } from '../broker.ts';
import type { HistoryStore } from '../history-store.ts';
import { messageSerial, parseSerial } from '../serial.ts';

/**
 * `broker` and `peer` act as two nodes on one backend; `history` is where both keep what they are asked to, with
 * no retention by age (the events here carry timestamp 1) and room for every event a case publishes; `messages`
 * where both record the message operations they are asked to; `annotations` where both list annotations.
 */
export interface BrokerHarness {
  broker: Broker;
  peer: Broker;
  history: HistoryStore;
  messages: MessageStore;
  annotations: AnnotationStore;
}

export interface BrokerContractOptions {
  name: string;
  create(t: TestContext): Promise<BrokerHarness>;
  skip?: Partial<Record<BrokerCase, string>>;
  skipAll?: string | false;
}

export type BrokerCase = 'cross-node-delivery' | 'retransmission';

const CH = 'app:room';
const msg = (data: unknown): ProtocolMessage => ({
  action: Action.MESSAGE,
  channel: 'room',
  timestamp: 1,
  messages: [{ name: 'n', data: data as string }],
});

/** Publishes a message 'a' and resolves with its serial. */
async function created(broker: Broker): Promise<string> {
  const event = await broker.publish(CH, msg('a'), undefined, { history: 'messages' });
  return event.message.messages?.[0]?.serial as string;
}

/** An append of `piece` to message `target` ('a' as created), as MessageService makes it: event and change. */
function appendTo(target: string, piece: string, first: boolean): { message: ProtocolMessage; change: MessageChange } {
  const op = { action: 5, serial: target, name: 'n', data: piece, version: { timestamp: 2 } };
  const next = { message: { serial: target, name: 'n', action: 4, version: { timestamp: 2 } }, dataType: 'string' as const };
  const seed = first ? { serial: target, name: 'n', data: 'a' } : undefined;
  return {
    message: { action: Action.MESSAGE, channel: 'room', timestamp: 2, messages: [op] },
    change: { serial: target, next, mode: 'append', data: piece, seed, op },
  };
}

/** An ANNOTATION event of one vote on message `target`, as AnnotationService makes it (no serial yet). */
const voteOn = (target: string, id: string): ProtocolMessage => ({
  action: Action.ANNOTATION,
  channel: 'room',
  id,
  timestamp: 2,
  annotations: [{ action: AnnotationAction.CREATE, messageSerial: target, type: 'vote:total.v1', clientId: 'c', id: `${id}:0` }],
});

/** Collects a broker's events and waits for a count. */
function collect(broker: Broker): { events: ChannelEvent[]; until(n: number): Promise<ChannelEvent[]> } {
  const events: ChannelEvent[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  broker.onEvent((e) => {
    events.push(e);
    if (waiter && events.length >= waiter.n) waiter.resolve();
  });
  return {
    events,
    until: (n) => (events.length >= n ? Promise.resolve(events) : new Promise((r) => (waiter = { n, resolve: () => r(events) }))),
  };
}

/** The Broker contract (STYLE habit 2). */
export function runBrokerContract(o: BrokerContractOptions): void {
  describe(`Broker contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('numbers events 1, 2, 3 under one epoch and stamps the serials', async (t) => {
      const { broker } = await o.create(t);
      const before = parseSerial(await broker.currentSerial(CH));
      assert.equal(before?.seq, 0);
      const events = [];
      for (let i = 0; i < 3; i++) events.push(await broker.publish(CH, msg(i), 'conn-1'));
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2, 3],
      );
      for (const e of events) {
        assert.equal(parseSerial(e.serial)?.epoch, before?.epoch);
        assert.equal(e.message.channelSerial, e.serial);
        assert.equal(e.message.messages?.[0]?.serial, messageSerial(e.serial, 0));
        assert.equal(e.origin, 'conn-1');
        assert.equal(e.channel, CH);
      }
      assert.equal(await broker.currentSerial(CH), events[2]?.serial);
      assert.equal(parseSerial(await broker.currentSerial('app:other'))?.seq, 0);
    });

    it('serials sort as strings in publish order (fixed width: event 9 sorts before event 10)', async (t) => {
      const { broker } = await o.create(t);
      const serials: string[] = [];
      for (let i = 0; i < 12; i++) serials.push((await broker.publish(CH, msg(i))).message.messages?.[0]?.serial as string);
      assert.deepEqual([...serials].sort(), serials);
    });

    it('an item that names a serial (a message operation) keeps it and gets the event serial as version.serial', async (t) => {
      const { broker } = await o.create(t);
      const created = await broker.publish(CH, msg(0));
      const target = created.message.messages?.[0]?.serial as string;
      const op = await broker.publish(CH, { action: Action.MESSAGE, messages: [{ action: 5, serial: target, data: 'x' }] });
      const item = op.message.messages?.[0];
      assert.equal(item?.serial, target);
      assert.equal(item?.version?.serial, messageSerial(op.serial, 0));
      assert.ok((item?.version?.serial as string) > target);
    });

    it('a publish superseded by a higher version under its key is neither numbered nor delivered', async (t) => {
      const { broker, peer } = await o.create(t);
      const got = collect(broker);
      await broker.subscribe(CH);
      const supersede = (version: number) => ({ supersede: { key: 'summary:m1', version } });
      const v2 = await broker.publish(CH, msg('v2'), undefined, supersede(2));
      const v1 = await peer.publish(CH, msg('v1'), undefined, supersede(1));
      const again = await peer.publish(CH, msg('v2 again'), undefined, supersede(2));
      const other = await peer.publish(CH, msg('other key'), undefined, { supersede: { key: 'summary:m2', version: 1 } });
      const v3 = await peer.publish(CH, msg('v3'), undefined, supersede(3));
      assert.equal(v2.superseded, undefined);
      assert.equal(v1.superseded, true);
      assert.equal(again.superseded, true);
      assert.equal(other.superseded, undefined);
      assert.deepEqual([v2.seq, other.seq, v3.seq], [1, 2, 3], 'superseded publishes take no number');
      await got.until(3);
      assert.deepEqual(
        got.events.map((e) => e.message.messages?.[0]?.data),
        ['v2', 'other key', 'v3'],
      );
    });

    it('keeps a publish in the history it names, as numbered, ephemeral items left out; a superseded one not', async (t) => {
      const { broker, peer, history } = await o.create(t);
      await broker.publish(CH, msg('live only'));
      const kept = await broker.publish(CH, { ...msg('kept'), id: 'c1:0' }, 'c1', { history: 'messages' });
      const mixed: ProtocolMessage = {
        ...msg('x'),
        id: 'c1:1',
        messages: [{ data: 'gone', extras: { ephemeral: true } }, { data: 'stays' }],
      };
      const partly = await peer.publish(CH, mixed, 'c1', { history: 'messages' });
      const summary = (version: number) => ({ supersede: { key: 'summary:m1', version }, history: 'operations' as const });
      const v2 = await peer.publish(CH, msg('v2'), undefined, summary(2));
      await broker.publish(CH, msg('v1'), undefined, summary(1));
      const page = await history.messages(CH, { direction: 'forwards', limit: 10 });
      assert.deepEqual(
        page.items.map((m) => [m.data, m.serial, m.id]),
        [
          ['kept', messageSerial(kept.serial, 0), 'c1:0:0'],
          ['stays', messageSerial(partly.serial, 1), 'c1:1:1'],
        ],
        'each item keeps the serial of its place in the event',
      );
      const replay = await history.messagesAfter(CH, 0);
      assert.deepEqual(
        replay?.map((e) => [e.seq, e.message.messages?.map((m) => m.data)]),
        [
          [kept.seq, ['kept']],
          [partly.seq, ['stays']],
          [v2.seq, ['v2']],
        ],
      );
      assert.deepEqual(replay?.[0], kept, 'stored as published, stamped');
    });

    it('records an operation in the message store as numbered, with its version serial, in serial order', async (t) => {
      const { broker, peer, messages } = await o.create(t);
      const target = await created(broker);
      const b = appendTo(target, 'b', true);
      const first = await broker.publish(CH, { ...b.message, id: 'c1:0' }, 'c1', { history: 'operations', apply: b.change });
      const c = appendTo(target, 'c', true);
      const second = await peer.publish(CH, { ...c.message, id: 'c2:0' }, 'c2', { history: 'operations', apply: c.change });
      const latest = (await messages.latest(CH, [target])).get(target);
      assert.equal(latest?.data, 'abc', 'seeded once, each piece once, in serial order');
      assert.equal(latest?.version?.serial, messageSerial(second.serial, 0), 'the head has the latest version serial');
      assert.equal((await messages.head(CH, target))?.message.version?.serial, messageSerial(second.serial, 0));
      assert.deepEqual(
        (await messages.operations(CH, target)).map((m) => [m.data, m.version?.serial]),
        [
          ['b', messageSerial(first.serial, 0)],
          ['c', messageSerial(second.serial, 0)],
        ],
      );
    });

    it('a retransmitted operation it answers as a duplicate is not recorded again', {
      skip: o.skip?.retransmission ?? false,
    }, async (t) => {
      const { broker, peer, messages } = await o.create(t);
      const target = await created(broker);
      const b = appendTo(target, 'b', true);
      await broker.publish(CH, { ...b.message, id: 'c1:0' }, 'c1', { history: 'operations', apply: b.change });
      // Node A's client resumes on node B and retransmits its append: recorded already.
      const again = await peer.publish(CH, { ...b.message, id: 'c1:0' }, 'c1', { history: 'operations', apply: b.change });
      assert.equal(again.duplicate, true);
      assert.equal((await messages.latest(CH, [target])).get(target)?.data, 'ab');
      assert.equal((await messages.operations(CH, target)).length, 1);
    });

    it('lists an annotation on its message as numbered, with its serial, from either node', async (t) => {
      const { broker, peer, annotations } = await o.create(t);
      const target = await created(broker);
      const first = await broker.publish(CH, voteOn(target, 'c1:0'), 'c1', { history: 'operations', annotate: true });
      const second = await peer.publish(CH, voteOn(target, 'c2:0'), 'c2', { history: 'operations', annotate: true });
      const page = await annotations.list(CH, target, 10);
      assert.deepEqual(
        page.items.map((a) => [a.serial, a.clientId, a.id]),
        [
          [messageSerial(first.serial, 0), 'c', 'c1:0:0'],
          [messageSerial(second.serial, 0), 'c', 'c2:0:0'],
        ],
      );
      assert.equal(first.message.annotations?.[0]?.serial, messageSerial(first.serial, 0));
    });

    it('a retransmitted annotation it answers as a duplicate is not listed again', {
      skip: o.skip?.retransmission ?? false,
    }, async (t) => {
      const { broker, peer, annotations } = await o.create(t);
      const target = await created(broker);
      await broker.publish(CH, voteOn(target, 'c1:0'), 'c1', { history: 'operations', annotate: true });
      // Node A's client resumes on node B and retransmits its annotation: listed already.
      const again = await peer.publish(CH, voteOn(target, 'c1:0'), 'c1', { history: 'operations', annotate: true });
      assert.equal(again.duplicate, true);
      assert.equal((await annotations.list(CH, target, 10)).items.length, 1);
    });

    it('delivers subscribed channels once each, in order, and stops after unsubscribe', async (t) => {
      const { broker } = await o.create(t);
      const got = collect(broker);
      await broker.subscribe(CH);
      await broker.subscribe(CH);
      await broker.publish('app:other', msg('x'));
      for (let i = 0; i < 20; i++) await broker.publish(CH, msg(i));
      await got.until(20);
      await broker.unsubscribe(CH);
      await broker.publish(CH, msg('late'));
      // A marker on a still-subscribed channel proves the late event had its chance to arrive.
      await broker.subscribe('app:marker');
      await broker.publish('app:marker', msg('m'));
      await got.until(21);
      assert.deepEqual(
        got.events.map((e) => `${e.channel}#${e.seq}`),
        [...Array.from({ length: 20 }, (_, i) => `${CH}#${i + 1}`), 'app:marker#1'],
      );
    });

    it('carries binary data and every message field', async (t) => {
      const { broker } = await o.create(t);
      const got = collect(broker);
      await broker.subscribe(CH);
      const m: ProtocolMessage = {
        ...msg(Buffer.from([1, 2, 3])),
        id: 'c:1',
        connectionId: 'c',
        messages: [{ name: 'b', data: Buffer.from([1, 2, 3]) as unknown as string, extras: { k: [1] }, clientId: 'x' }],
      };
      await broker.publish(CH, m);
      const [e] = await got.until(1);
      const item = e?.message.messages?.[0];
      assert.deepEqual(Buffer.from(item?.data as unknown as Uint8Array), Buffer.from([1, 2, 3]));
      assert.deepEqual(item?.extras, { k: [1] });
      assert.equal(e?.message.id, 'c:1');
    });

    it('two nodes publishing concurrently: both see every event once, in the same order', {
      skip: o.skip?.['cross-node-delivery'] ?? false,
    }, async (t) => {
      const { broker, peer } = await o.create(t);
      const a = collect(broker);
      const b = collect(peer);
      await broker.subscribe(CH);
      await peer.subscribe(CH);
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? broker : peer).publish(CH, msg(i))));
      await a.until(40);
      await b.until(40);
      const order = (events: ChannelEvent[]) => events.map((e) => `${e.seq}:${e.message.messages?.[0]?.data}`);
      assert.deepEqual(order(a.events), order(b.events));
      assert.deepEqual(
        a.events.map((e) => e.seq),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.equal(await broker.currentSerial(CH), await peer.currentSerial(CH));
    });
  });
}
