import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Action, type ProtocolMessage } from '../../protocol/index.ts';
import type { ManualClock } from '../../time/manual-clock.ts';
import type { ChannelEvent } from '../broker.ts';
import type { HistoryQuery, HistoryStore } from '../history-store.ts';

export interface HistoryHarness {
  store: HistoryStore;
  /** The clock the store was built with; retention by age follows it. */
  clock: ManualClock;
}

export interface HistoryContractOptions {
  name: string;
  /** A fresh store with the given limits. */
  create(t: TestContext, limits: { maxAge: number; maxPerChannel: number }): Promise<HistoryHarness>;
  skip?: Partial<Record<HistoryCase, string>>;
  skipAll?: string | false;
}

export type HistoryCase = 'out-of-order-append';

const CH = 'app:room';
const event = (seq: number, timestamp: number, kind: 'messages' | 'presence' = 'messages'): ChannelEvent => {
  const message: ProtocolMessage =
    kind === 'messages'
      ? { action: Action.MESSAGE, id: `c:${seq}`, connectionId: 'c', timestamp, messages: [{ name: `m${seq}`, data: `d${seq}` }] }
      : { action: Action.PRESENCE, id: `c:${seq}`, connectionId: 'c', timestamp, presence: [{ action: 2, clientId: `u${seq}` }] };
  return { channel: CH, serial: `e-${seq}`, seq, message };
};
const q = (over: Partial<HistoryQuery> = {}): HistoryQuery => ({ direction: 'backwards', limit: 100, ...over });

/** The HistoryStore contract (STYLE habit 2). */
export function runHistoryStoreContract(o: HistoryContractOptions): void {
  describe(`HistoryStore contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('pages messages backwards and forwards with cursors, filling id/connectionId/timestamp', async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 60_000, maxPerChannel: 100 });
      const now = clock.now();
      for (let seq = 1; seq <= 5; seq++) await store.append('messages', event(seq, now + seq));
      const first = await store.messages(CH, q({ limit: 2 }));
      assert.deepEqual(
        first.items.map((m) => m.name),
        ['m5', 'm4'],
      );
      assert.equal(first.items[0]?.id, 'c:5:0');
      assert.equal(first.items[0]?.connectionId, 'c');
      assert.equal(first.items[0]?.timestamp, now + 5);
      assert.ok(first.next);
      const second = await store.messages(CH, q({ limit: 2, cursor: first.next }));
      assert.deepEqual(
        second.items.map((m) => m.name),
        ['m3', 'm2'],
      );
      const last = await store.messages(CH, q({ limit: 2, cursor: second.next }));
      assert.deepEqual(
        last.items.map((m) => m.name),
        ['m1'],
      );
      assert.equal(last.next, undefined);
      const fwd = await store.messages(CH, q({ direction: 'forwards' }));
      assert.deepEqual(
        fwd.items.map((m) => m.name),
        ['m1', 'm2', 'm3', 'm4', 'm5'],
      );
    });

    it('filters by start/end (inclusive) and untilSeq; messages and presence are separate', async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 60_000, maxPerChannel: 100 });
      const now = clock.now();
      for (let s = 1; s <= 5; s++) await store.append('messages', event(s, now + s * 10));
      await store.append('presence', event(6, now + 60, 'presence'));
      const ranged = await store.messages(CH, q({ start: now + 20, end: now + 40 }));
      assert.deepEqual(
        ranged.items.map((m) => m.name),
        ['m4', 'm3', 'm2'],
      );
      const until = await store.messages(CH, q({ untilSeq: 2 }));
      assert.deepEqual(
        until.items.map((m) => m.name),
        ['m2', 'm1'],
      );
      const presence = await store.presence(CH, q());
      assert.deepEqual(
        presence.items.map((p) => p.clientId),
        ['u6'],
      );
      assert.deepEqual((await store.messages('app:none', q())).items, []);
    });

    it('messagesAfter replays in order, and reports lost continuity once retention dropped events', async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 60_000, maxPerChannel: 3 });
      const now = clock.now();
      for (let s = 1; s <= 5; s++) await store.append('messages', event(s, now));
      assert.deepEqual(
        (await store.messagesAfter(CH, 3))?.map((e) => e.seq),
        [4, 5],
      );
      assert.deepEqual(
        (await store.messagesAfter(CH, 2))?.map((e) => e.seq),
        [3, 4, 5],
      );
      assert.equal(await store.messagesAfter(CH, 1), undefined);
      assert.deepEqual(await store.messagesAfter('app:none', 0), []);
      assert.equal((await store.messages(CH, q())).items.length, 3);
    });

    it('recentMessages lists retained message events oldest first, optionally from a time on', async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 60_000, maxPerChannel: 3 });
      const start = clock.now();
      for (let s = 1; s <= 4; s++) {
        await store.append('messages', event(s, clock.now()));
        clock.advance(1_000);
      }
      await store.append('presence', event(5, clock.now(), 'presence'));
      assert.deepEqual(
        (await store.recentMessages(CH)).map((e) => e.seq),
        [2, 3, 4],
      );
      assert.deepEqual(
        (await store.recentMessages(CH, start + 2_000)).map((e) => e.seq),
        [3, 4],
      );
      assert.deepEqual(await store.recentMessages('app:none'), []);
    });

    it('keeps channel order when nodes append out of order', { skip: o.skip?.['out-of-order-append'] ?? false }, async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 60_000, maxPerChannel: 100 });
      for (const seq of [2, 1, 4, 3]) await store.append('messages', event(seq, clock.now()));
      assert.deepEqual(
        (await store.messages(CH, q({ direction: 'forwards' }))).items.map((m) => m.name),
        ['m1', 'm2', 'm3', 'm4'],
      );
      assert.deepEqual(
        (await store.messagesAfter(CH, 1))?.map((e) => e.seq),
        [2, 3, 4],
      );
    });

    it('drops events older than maxAge', async (t) => {
      const { store, clock } = await o.create(t, { maxAge: 1_000, maxPerChannel: 100 });
      await store.append('messages', event(1, clock.now()));
      clock.advance(600);
      await store.append('messages', event(2, clock.now()));
      clock.advance(600);
      assert.deepEqual(
        (await store.messages(CH, q())).items.map((m) => m.name),
        ['m2'],
      );
      assert.equal(await store.messagesAfter(CH, 0), undefined);
      assert.deepEqual(
        (await store.messagesAfter(CH, 1))?.map((e) => e.seq),
        [2],
      );
    });
  });
}
