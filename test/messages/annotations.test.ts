import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS, TEST_KEY } from '../helpers/server.ts';
import { dropTransport, reconnected } from '../helpers/transport.ts';
import { BACKENDS } from './backends.ts';

const ALL_MODES: Ably.ChannelMode[] = ['PUBLISH', 'SUBSCRIBE', 'ANNOTATION_PUBLISH', 'ANNOTATION_SUBSCRIBE'];
const NO_ANNOTATIONS_KEY = 'testapp.plain:secret-plain';
const KEYS = [{ key: TEST_KEY }, { key: NO_ANNOTATIONS_KEY, capability: { '*': ['publish', 'subscribe', 'history'] } }];

type Summary = Record<string, Record<string, unknown>>;
const summaryOf = (m: Ably.Message): Summary => (m.annotations?.summary ?? {}) as Summary;

for (const backend of BACKENDS) {
  for (const protocol of PROTOCOLS) {
    describe(`annotations (${backend.name}, ${protocol})`, { skip: backend.skip }, () => {
      it('publish and delete: raw annotations reach annotation subscribers only, summaries reach every subscriber', {
        timeout: 30_000,
      }, async (t) => {
        const [a, b] = await backend.start(t, { keys: KEYS });
        const author = a.realtime({ protocol, clientId: 'author' });
        const bob = b.realtime({ protocol, clientId: 'bob' });
        const watcher = b.realtime({ protocol });
        const authorCh = author.channels.get('mutable:ann', { modes: ALL_MODES });
        const bobCh = bob.channels.get('mutable:ann', { modes: ALL_MODES });
        const watchCh = watcher.channels.get('mutable:ann');
        await Promise.all([authorCh.attach(), bobCh.attach(), watchCh.attach()]);
        assert.deepEqual(
          watchCh.modes,
          ['presence', 'publish', 'subscribe', 'presence_subscribe', 'annotation_publish'],
          'ATTACHED echoes the default modes: annotation_publish but not annotation_subscribe',
        );
        assert.ok(bobCh.modes?.includes('annotation_subscribe'));

        const raw = new Collector<Ably.Annotation>();
        await bobCh.annotations.subscribe(raw.push);
        // Without the mode the SDK refuses the listener (93001) but keeps it: it must never be called.
        const leaked = new Collector<Ably.Annotation>();
        await assert.rejects(watchCh.annotations.subscribe(leaked.push), { code: 93001 });
        const summaries = new Collector<Ably.Message>();
        await watchCh.subscribe((m) => {
          if (m.action === 'message.summary') summaries.push(m);
        });

        const { serials } = await authorCh.publish('text', 'hello');
        const serial = serials[0] as string;
        await authorCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: '👍' });
        await bobCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: '👍' });
        await bobCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: '❤️' });
        await bobCh.annotations.publish(serial, { type: 'reaction:unique.v1', name: 'a' });
        await authorCh.annotations.publish(serial, { type: 'reaction:unique.v1', name: 'a' });
        await bobCh.annotations.publish(serial, { type: 'reaction:unique.v1', name: 'b' });
        await bobCh.annotations.publish(serial, { type: 'reaction:multiple.v1', name: 'x', count: 3 });
        await authorCh.annotations.publish(serial, { type: 'reaction:multiple.v1', name: 'x' });
        await bobCh.annotations.delete(serial, { type: 'reaction:distinct.v1', name: '❤️' });

        const got = await raw.count(9);
        const first = got[0] as Ably.Annotation;
        assert.equal(first.action, 'annotation.create');
        assert.equal(first.messageSerial, serial);
        assert.equal(first.type, 'reaction:distinct.v1');
        assert.equal(first.name, '👍');
        assert.equal(first.clientId, 'author');
        assert.equal((first as Ably.Annotation & { connectionId?: string }).connectionId, author.connection.id);
        assert.ok(typeof first.timestamp === 'number' && first.timestamp > 0);
        assert.ok(first.id);
        assert.ok((first.serial as string) > serial, 'an annotation serial sorts after its message');
        assert.deepEqual(
          [...got.map((x) => x.serial)].sort(),
          got.map((x) => x.serial),
          'in serial order',
        );
        assert.equal((got[8] as Ably.Annotation).action, 'annotation.delete');
        assert.equal((got[6] as Ably.Annotation).count, 3);

        const expected = {
          'reaction:distinct.v1': { '👍': { total: 2, clientIds: ['author', 'bob'], clipped: false } },
          'reaction:unique.v1': {
            a: { total: 1, clientIds: ['author'], clipped: false },
            b: { total: 1, clientIds: ['bob'], clipped: false },
          },
          'reaction:multiple.v1': {
            x: { total: 4, clientIds: { bob: 3, author: 1 }, totalUnidentified: 0, clipped: false, totalClientIds: 2 },
          },
        };
        const seen = await summaries.count(9);
        const last = seen.at(-1) as Ably.Message;
        assert.equal(last.serial, serial);
        assert.deepEqual(summaryOf(last), expected);
        assert.deepEqual(summaryOf(seen[0] as Ably.Message), {
          'reaction:distinct.v1': { '👍': { total: 1, clientIds: ['author'], clipped: false } },
        });
        assert.equal(leaked.items.length, 0, 'no raw annotation without ANNOTATION_SUBSCRIBE');

        // Read back on the other node: history and getMessage carry the latest summary; the annotations list pages.
        const rest = a.rest({ protocol });
        const restCh = rest.channels.get('mutable:ann');
        const history = await restCh.history();
        assert.deepEqual(summaryOf(history.items[0] as Ably.Message), expected);
        assert.deepEqual(summaryOf(await restCh.getMessage(serial)), expected);
        let page = await restCh.annotations.get(serial, { limit: 4 });
        const listed = [...page.items];
        while (page.hasNext()) {
          page = (await page.next()) as Ably.PaginatedResult<Ably.Annotation>;
          listed.push(...page.items);
        }
        assert.deepEqual(
          listed.map((x) => x.serial),
          got.map((x) => x.serial),
        );
        assert.equal(listed[8]?.action, 'annotation.delete');

        // REST publishes and deletes take the same path.
        await restCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: '🎉', clientId: 'carol' });
        const afterRest = await summaries.count(10);
        assert.deepEqual(summaryOf(afterRest[9] as Ably.Message)['reaction:distinct.v1']?.['🎉'], {
          total: 1,
          clientIds: ['carol'],
          clipped: false,
        });
        await raw.count(10);
        assert.equal(raw.items[9]?.clientId, 'carol');
      });

      it('a client that resumes gets the annotations and summaries it missed; rewind shows the latest summary', {
        timeout: 30_000,
      }, async (t) => {
        const [a, b] = await backend.start(t, { keys: KEYS });
        const voter = a.realtime({ protocol, clientId: 'voter' });
        const voterCh = voter.channels.get('mutable:resume', { modes: ALL_MODES });
        const receiver = b.realtime({ protocol });
        const receiverCh = receiver.channels.get('mutable:resume', { modes: ALL_MODES });
        await Promise.all([voterCh.attach(), receiverCh.attach()]);
        const raw = new Collector<Ably.Annotation>();
        await receiverCh.annotations.subscribe(raw.push);
        const summaries = new Collector<Ably.Message>();
        await receiverCh.subscribe((m) => {
          if (m.action === 'message.summary') summaries.push(m);
        });
        const serial = (await voterCh.publish('poll', '?')).serials[0] as string;
        const vote = { type: 'vote:multiple.v1', name: 'yes' };
        const id = receiver.connection.id;
        const back = reconnected(receiver);
        dropTransport(b, receiver);
        for (let i = 0; i < 3; i++) await voterCh.annotations.publish(serial, vote);
        await back;
        assert.equal(receiver.connection.id, id, 'resumed');
        await raw.count(3);
        await summaries.count(3);
        await voterCh.annotations.publish(serial, vote);
        await raw.count(4);
        const totals = (await summaries.count(4)).map(
          (m) => (summaryOf(m)['vote:multiple.v1'] as Record<string, { total: number }>).yes?.total,
        );
        assert.deepEqual(totals, [1, 2, 3, 4], 'each summary once, in order');
        assert.equal(raw.items.length, 4, 'no annotation twice');

        const late = a.realtime({ protocol }).channels.get('mutable:resume', { params: { rewind: '1' } });
        const rewound = new Promise<Ably.Message>((resolve) => late.subscribe(resolve));
        const first = await rewound;
        assert.equal(first.serial, serial);
        assert.equal((summaryOf(first)['vote:multiple.v1'] as Record<string, { total: number }>).yes?.total, 4);
      });

      it('bad annotations get the Ably error code and change nothing', { timeout: 30_000 }, async (t) => {
        const [a] = await backend.start(t, { keys: KEYS, maxMessageSize: 2048 });
        // A token client, so the clientId it may act as is its own (a key may act as any).
        const alice = a.realtime({ protocol, clientId: 'alice', useTokenAuth: true });
        const ch = alice.channels.get('mutable:bad', { modes: ALL_MODES });
        await ch.attach();
        const raw = new Collector<Ably.Annotation>();
        await ch.annotations.subscribe(raw.push);
        const summaries = new Collector<Ably.Message>();
        await ch.subscribe((m) => {
          if (m.action === 'message.summary') summaries.push(m);
        });
        const serial = (await ch.publish('text', 'hello')).serials[0] as string;
        const unknown = `${serial.slice(0, -3)}999`;
        await assert.rejects(ch.annotations.publish(unknown, { type: 'reaction:distinct.v1', name: 'x' }), { code: 40400 });
        await assert.rejects(ch.annotations.publish(serial, { name: 'x' } as Ably.OutboundAnnotation), { code: 40003 });
        await assert.rejects(ch.annotations.publish(serial, { type: 'reaction:distinct.v1' }), { code: 40003 });
        await assert.rejects(
          ch.annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'x', data: 'y'.repeat(4096) }),
          { code: 40009 },
        );
        await assert.rejects(ch.annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'x', clientId: 'mallory' }), {
          code: 40012,
        });
        const anonymous = a.realtime({ protocol });
        const anonCh = anonymous.channels.get('mutable:bad', { modes: ALL_MODES });
        await assert.rejects(anonCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'x' }), { code: 40003 });
        const plain = a.realtime({ protocol, key: NO_ANNOTATIONS_KEY, clientId: 'pat' });
        const plainCh = plain.channels.get('mutable:bad');
        await plainCh.attach();
        assert.ok(!plainCh.modes?.includes('annotation_publish'), 'not granted without the capability');
        await assert.rejects(plainCh.annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'x' }), { code: 40160 });
        const restPlain = a.rest({ protocol, key: NO_ANNOTATIONS_KEY });
        await assert.rejects(
          restPlain.channels
            .get('mutable:bad')
            .annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'x', clientId: 'p' }),
          { code: 40160 },
        );
        await assert.rejects(a.rest({ protocol }).channels.get('mutable:bad').annotations.get(unknown, {}), { code: 40400 });

        // Nothing above was recorded or sent: the one good annotation that follows is the first of everything.
        await ch.annotations.publish(serial, { type: 'reaction:distinct.v1', name: 'ok' });
        assert.equal((await raw.count(1)).length, 1);
        assert.deepEqual(summaryOf((await summaries.count(1))[0] as Ably.Message), {
          'reaction:distinct.v1': { ok: { total: 1, clientIds: ['alice'], clipped: false } },
        });
        const listed = await a.rest({ protocol }).channels.get('mutable:bad').annotations.get(serial, {});
        assert.deepEqual(
          listed.items.map((x) => x.name),
          ['ok'],
        );
        assert.equal(raw.items.length, 1);
        assert.equal(summaries.items.length, 1);
      });
    });
  }
}
