import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import {
  ChatClient,
  type ChatMessageEvent,
  ChatMessageEventType,
  LogLevel,
  type Message,
  type MessageReactionRawEvent,
  type MessageReactionSummaryEvent,
  MessageReactionType,
  OrderBy,
} from '@ably/chat';
import type * as Ably from 'ably';
import { clientFor } from '../cluster/cluster-helpers.ts';
import { sdkBackends } from '../helpers/backends.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector, TEST_KEY } from '../helpers/server.ts';

// `@ably/chat` 1.4.0 messages, unmodified, over the Chat REST API and the room channel: one node in memory, and two
// nodes sharing Redis with alice on one and bob on the other (so every request and event also crosses nodes).
const redis: TestRedis | undefined = redisSkip() ? undefined : await startRedis({ after });
const BACKENDS = sdkBackends(redis);

/** A key that may only change its own messages in room `limits`, one that may only read it; small messages. */
const OWN_ONLY_KEY = 'testapp.ownonly:secret-own';
const READER_KEY = 'testapp.reader:secret-read';
const LIMITS = {
  maxMessageSize: 4096,
  keys: [
    { key: TEST_KEY },
    {
      key: OWN_ONLY_KEY,
      capability: { 'limits::$chat': ['subscribe', 'history', 'publish', 'message-update-own', 'message-delete-own'] },
    },
    { key: READER_KEY, capability: { 'limits::$chat': ['subscribe', 'history'] } },
  ],
};

/** A user: a realtime client with a clientId (JSON or msgpack) and a ChatClient on it (quiet: errors are expected). */
const user = (t: TestContext, port: number, clientId: string, binary: boolean, key = TEST_KEY): ChatClient =>
  new ChatClient(clientFor(t, port, { key, clientId, useBinaryProtocol: binary }), { logLevel: LogLevel.Silent });

/** The Ably error a rejected SDK call carries. */
async function errorOf(call: Promise<unknown>): Promise<Ably.ErrorInfo> {
  try {
    await call;
  } catch (err) {
    return err as Ably.ErrorInfo;
  }
  assert.fail('the call succeeded');
}

const texts = (items: Message[]): string[] => items.map((m) => m.text);

for (const backend of BACKENDS) {
  describe(`@ably/chat 1.4.0 messages (${backend.name})`, { skip: backend.skip, timeout: 30_000 }, () => {
    test('send: both users receive the created message with text, metadata, headers and sender', async (t) => {
      const { ports } = await backend.start(t);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-send');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-send');
      const atA = new Collector<ChatMessageEvent>();
      const atB = new Collector<ChatMessageEvent>();
      roomA.messages.subscribe(atA.push);
      roomB.messages.subscribe(atB.push);
      await Promise.all([roomA.attach(), roomB.attach()]);

      const sent = await roomA.messages.send({
        text: 'hello',
        metadata: { mood: 'fine', n: 1 },
        headers: { lang: 'en', urgent: true },
      });
      assert.equal(sent.text, 'hello');
      assert.equal(sent.clientId, 'alice');
      assert.equal(sent.action, 'message.create');
      assert.equal(sent.version.serial, sent.serial);
      assert.deepEqual(sent.metadata, { mood: 'fine', n: 1 });
      assert.deepEqual(sent.headers, { lang: 'en', urgent: true });

      for (const seen of [atA, atB]) {
        const [event] = await seen.count(1);
        assert.equal(event?.type, ChatMessageEventType.Created);
        const m = event?.message as Message;
        assert.equal(m.serial, sent.serial);
        assert.equal(m.text, 'hello');
        assert.equal(m.clientId, 'alice');
        assert.deepEqual(m.metadata, { mood: 'fine', n: 1 });
        assert.deepEqual(m.headers, { lang: 'en', urgent: true });
        assert.equal(m.timestamp.getTime(), sent.timestamp.getTime());
        assert.equal(m.version.serial, sent.version.serial);
      }
      // The second message sorts after the first (the SDK compares serials as strings).
      const second = await roomB.messages.send({ text: 'hi alice' });
      assert.ok(second.serial > sent.serial);
      assert.equal(second.clientId, 'bob');
      await atA.count(2);
      assert.equal(atA.items[1]?.message.text, 'hi alice');
    });

    test('update and delete: events with newer versions, get() and getVersions() oldest first', async (t) => {
      const { ports } = await backend.start(t);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-edit');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-edit');
      const atB = new Collector<ChatMessageEvent>();
      roomB.messages.subscribe(atB.push);
      await Promise.all([roomA.attach(), roomB.attach()]);

      const sent = await roomA.messages.send({ text: 'helo', headers: { lang: 'en' } });
      const updated = await roomA.messages.update(
        sent.serial,
        { text: 'hello', metadata: { edited: true } },
        { description: 'typo', metadata: { reason: 'spelling' } },
      );
      assert.equal(updated.action, 'message.update');
      assert.equal(updated.serial, sent.serial);
      assert.equal(updated.text, 'hello');
      assert.deepEqual(updated.metadata, { edited: true });
      assert.deepEqual(updated.headers, {}, 'an update replaces the headers too; left out, they are empty');
      assert.ok(updated.version.serial > sent.version.serial);
      assert.equal(updated.version.clientId, 'alice');
      assert.equal(updated.version.description, 'typo');
      assert.deepEqual(updated.version.metadata, { reason: 'spelling' });
      assert.equal(updated.timestamp.getTime(), sent.timestamp.getTime(), 'timestamp stays the creation time');

      const [created, update] = await atB.count(2);
      assert.equal(update?.type, ChatMessageEventType.Updated);
      assert.equal(update?.message.text, 'hello');
      assert.equal(update?.message.version.serial, updated.version.serial);
      assert.equal(update?.message.version.description, 'typo');
      // The SDK folds events by comparing version serials: the newer wins, an older one is ignored.
      const original = (created as ChatMessageEvent).message;
      const folded = original.with(update as ChatMessageEvent);
      assert.equal(folded.text, 'hello');
      assert.equal(folded.with(original), folded);

      const deleted = await roomA.messages.delete(sent.serial, { description: 'gone' });
      assert.equal(deleted.action, 'message.delete');
      assert.equal(deleted.text, '');
      assert.ok(deleted.version.serial > updated.version.serial);
      assert.equal(deleted.version.description, 'gone');
      const [, , deletion] = await atB.count(3);
      assert.equal(deletion?.type, ChatMessageEventType.Deleted);
      assert.equal(deletion?.message.serial, sent.serial);
      assert.equal(deletion?.message.text, '');
      assert.deepEqual(deletion?.message.metadata, {});
      assert.deepEqual(deletion?.message.headers, {});
      assert.equal(deletion?.message.clientId, 'alice');
      assert.equal(deletion?.message.version.serial, deleted.version.serial);

      // Read back from bob's node.
      const got = await roomB.messages.get(sent.serial);
      assert.equal(got.action, 'message.delete');
      assert.equal(got.version.serial, deleted.version.serial);
      assert.equal(got.version.description, 'gone');
      const versions = await roomB.messages.getVersions(sent.serial);
      assert.deepEqual(
        versions.items.map((m) => [m.action, m.text]),
        [
          ['message.create', 'helo'],
          ['message.update', 'hello'],
          ['message.delete', ''],
        ],
      );
      assert.deepEqual(
        versions.items.map((m) => m.version.serial),
        [sent.serial, updated.version.serial, deleted.version.serial],
      );
      assert.equal(versions.hasNext(), false);

      // A soft delete: an update restores the message.
      const restored = await roomA.messages.update(sent.serial, { text: 'back again' });
      assert.equal(restored.action, 'message.update');
      assert.equal((await roomB.messages.get(sent.serial)).text, 'back again');
    });

    test('history: latest versions, newest first by default, paged with next/current/first, or oldest first', async (t) => {
      const { ports } = await backend.start(t);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-history');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-history');
      const sent: Message[] = [];
      for (let i = 0; i < 5; i++) sent.push(await roomA.messages.send({ text: `m${i}` }));
      await roomA.messages.update((sent[1] as Message).serial, { text: 'm1 edited' });
      await roomA.messages.delete((sent[3] as Message).serial);

      const page1 = await roomB.messages.history({ limit: 2 });
      assert.deepEqual(texts(page1.items), ['m4', '']);
      assert.equal(page1.items[1]?.action, 'message.delete');
      assert.equal(page1.hasNext(), true);
      const page2 = await page1.next();
      assert.deepEqual(texts(page2?.items ?? []), ['m2', 'm1 edited']);
      assert.equal(page2?.items[1]?.action, 'message.update');
      const page3 = await page2?.next();
      assert.deepEqual(texts(page3?.items ?? []), ['m0']);
      assert.equal(page3?.hasNext(), false);
      assert.equal(page3?.isLast(), true);
      assert.deepEqual(texts((await page2?.current())?.items ?? []), ['m2', 'm1 edited']);
      assert.deepEqual(texts((await page3?.first())?.items ?? []), ['m4', '']);

      const oldest = await roomB.messages.history({ orderBy: OrderBy.OldestFirst, limit: 10 });
      assert.deepEqual(
        oldest.items.map((m) => m.serial),
        sent.map((m) => m.serial),
      );
      assert.ok(oldest.items.every((m, i) => i === 0 || m.serial > (oldest.items[i - 1] as Message).serial));
      assert.equal(oldest.items[0]?.clientId, 'alice');
    });

    test('historyBeforeSubscribe: a late subscriber pages back from its attach point, not past it', async (t) => {
      const { ports } = await backend.start(t);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-late');
      await roomA.attach();
      for (const text of ['b0', 'b1', 'b2']) await roomA.messages.send({ text });

      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-late');
      const live = new Collector<ChatMessageEvent>();
      const sub = roomB.messages.subscribe(live.push);
      await roomB.attach();
      await roomA.messages.send({ text: 'after' });
      await live.count(1);
      assert.equal(live.items[0]?.message.text, 'after');

      const before = await sub.historyBeforeSubscribe({ limit: 2 });
      assert.deepEqual(texts(before.items), ['b2', 'b1']);
      const rest = await before.next();
      assert.deepEqual(texts(rest?.items ?? []), ['b0']);
      assert.equal(rest?.hasNext(), false);

      // Subscribing while attached starts at the last message the channel delivered: 'after' is before it now.
      const later = roomB.messages.subscribe(() => {});
      const upToNow = await later.historyBeforeSubscribe({ limit: 10 });
      assert.deepEqual(texts(upToNow.items), ['after', 'b2', 'b1', 'b0']);
    });

    test('historyBeforeSubscribe in a room nobody wrote in yet is empty', async (t) => {
      const { ports } = await backend.start(t);
      const room = await user(t, ports[1], 'bob', true).rooms.get('chat-empty');
      const sub = room.messages.subscribe(() => {});
      await room.attach();
      const page = await sub.historyBeforeSubscribe({ limit: 10 });
      assert.deepEqual(page.items, []);
      assert.equal(page.hasNext(), false);
    });

    test('errors: unknown serial 40400, capabilities 40160, bad bodies 40001/40003, too large 40009; none changes anything', async (t) => {
      const { ports } = await backend.start(t, LIMITS);
      const alice = user(t, ports[0], 'alice', false, OWN_ONLY_KEY);
      const carol = user(t, ports[1], 'carol', true, OWN_ONLY_KEY);
      const reader = user(t, ports[1], 'rita', false, READER_KEY);
      const roomA = await alice.rooms.get('limits');
      const roomC = await carol.rooms.get('limits');
      const roomR = await reader.rooms.get('limits');
      const mine = await roomA.messages.send({ text: 'alice wrote this' });

      const unknown = mine.serial.replace(/:\d+$/, ':999');
      for (const call of [
        () => roomC.messages.get(unknown),
        () => roomC.messages.getVersions(unknown),
        () => roomC.messages.update(unknown, { text: 'x' }),
        () => roomC.messages.delete(unknown),
        () => roomC.messages.get('not-a-serial'),
      ]) {
        const err = await errorOf(call());
        assert.equal(err.code, 40400);
        assert.equal(err.statusCode, 404);
      }

      // Own-only: carol may not change alice's message, but may change her own.
      assert.equal((await errorOf(roomC.messages.update(mine.serial, { text: 'carol was here' }))).code, 40160);
      assert.equal((await errorOf(roomC.messages.delete(mine.serial))).code, 40160);
      const hers = await roomC.messages.send({ text: 'carol wrote this' });
      assert.equal((await roomC.messages.update(hers.serial, { text: 'carol edited this' })).text, 'carol edited this');
      assert.equal((await roomC.messages.delete(hers.serial)).action, 'message.delete');
      // Too large, whether sent or as an update: 40009.
      assert.equal((await errorOf(roomA.messages.send({ text: 'x'.repeat(5000) }))).code, 40009);
      assert.equal((await errorOf(roomA.messages.update(mine.serial, { text: 'x'.repeat(5000) }))).code, 40009);
      // A reader may read but not send or change.
      assert.equal((await errorOf(roomR.messages.send({ text: 'hi' }))).code, 40160);
      assert.equal((await errorOf(roomR.messages.update(hers.serial, { text: 'x' }))).code, 40160);
      assert.equal((await roomR.messages.history({ limit: 10 })).items.length, 2);

      // Bodies the SDK would never send, through the same client's request().
      const path = '/chat/v4/rooms/limits/messages';
      const raw = alice.realtime;
      const bad: Array<[string, string, unknown, number]> = [
        ['post', path, { text: 5 }, 40003],
        ['post', path, [{ text: 'in an array' }], 40001],
        ['post', path, { text: 'x', metadata: 'not an object' }, 40003],
        ['post', path, { text: 'x', headers: { nested: { no: 1 } } }, 40003],
        ['put', `${path}/${encodeURIComponent(mine.serial)}`, { text: 'not under message' }, 40003],
        ['put', `${path}/${encodeURIComponent(mine.serial)}`, { message: { text: 'x' }, metadata: { n: 1 } }, 40003],
        ['post', `${path}/${encodeURIComponent(mine.serial)}/delete`, { description: 7 }, 40003],
      ];
      for (const [method, p, body, code] of bad) {
        const res = await raw.request(method, p, 4, {}, body);
        assert.equal(res.errorCode, code, `${method} ${p} ${JSON.stringify(body)}`);
      }
      const versions = await roomA.messages.getVersions(mine.serial);
      assert.deepEqual(texts(versions.items), ['alice wrote this']);
      assert.deepEqual(texts((await roomA.messages.history({ limit: 10 })).items), ['', 'alice wrote this']);
    });

    test('reactions: send and delete of each type, summary and raw events, get/history/clientReactions', async (t) => {
      const { ports } = await backend.start(t);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-reacts');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-reacts', { messages: { rawMessageReactions: true } });
      const summaries = new Collector<MessageReactionSummaryEvent>();
      const raw = new Collector<MessageReactionRawEvent>();
      roomA.messages.reactions.subscribe(summaries.push);
      roomB.messages.reactions.subscribeRaw(raw.push);
      await Promise.all([roomA.attach(), roomB.attach()]);
      const msg = await roomA.messages.send({ text: 'react to me' });
      const latest = () => summaries.items.at(-1)?.reactions;

      await roomB.messages.reactions.send(msg.serial, { name: '👍' });
      await roomA.messages.reactions.send(msg.serial, { name: '👍', type: MessageReactionType.Distinct });
      await roomA.messages.reactions.send(msg.serial, { name: '❤️' });
      await summaries.until(() => latest()?.distinct['👍']?.total === 2 && latest()?.distinct['❤️']?.total === 1);
      assert.deepEqual([...(latest()?.distinct['👍']?.clientIds ?? [])].sort(), ['alice', 'bob']);
      assert.equal(summaries.items.at(-1)?.messageSerial, msg.serial);

      await roomB.messages.reactions.send(msg.serial, { name: '👏', type: MessageReactionType.Multiple, count: 3 });
      await roomA.messages.reactions.send(msg.serial, { name: '🎉', type: MessageReactionType.Unique });
      await roomA.messages.reactions.send(msg.serial, { name: '🔥', type: MessageReactionType.Unique });
      await summaries.until(() => latest()?.multiple['👏']?.total === 3 && latest()?.unique['🔥']?.total === 1);
      assert.deepEqual(latest()?.multiple['👏']?.clientIds, { bob: 3 });
      assert.equal(latest()?.unique['🎉'], undefined, 'a unique reaction replaces the client’s previous one');

      // Raw reactions reach the room that asked for them, with who sent them.
      await raw.count(6);
      assert.deepEqual(
        raw.items.slice(0, 2).map((e) => [e.type, e.reaction.name, e.reaction.clientId, e.reaction.type]),
        [
          ['reaction.create', '👍', 'bob', 'distinct'],
          ['reaction.create', '👍', 'alice', 'distinct'],
        ],
      );
      assert.equal(raw.items[3]?.reaction.count, 3);

      await roomB.messages.reactions.delete(msg.serial, { name: '👍' });
      await roomA.messages.reactions.delete(msg.serial, { type: MessageReactionType.Unique });
      await summaries.until(() => latest()?.distinct['👍']?.total === 1 && latest()?.unique['🔥'] === undefined);
      assert.deepEqual(latest()?.distinct['👍']?.clientIds, ['alice']);
      assert.ok(raw.items.some((e) => e.type === 'reaction.delete' && e.reaction.clientId === 'bob'));

      // The SDK folds a summary event into the message it has.
      const folded = msg.with(summaries.items.at(-1) as MessageReactionSummaryEvent);
      assert.equal(folded.reactions.distinct['❤️']?.total, 1);

      // Reads, from bob's node: the latest summary rides on the message.
      const got = await roomB.messages.get(msg.serial);
      assert.deepEqual(got.reactions.distinct['👍']?.clientIds, ['alice']);
      assert.equal(got.reactions.multiple['👏']?.total, 3);
      assert.deepEqual(got.reactions.unique, {});
      const [inHistory] = (await roomB.messages.history({ limit: 1 })).items;
      assert.equal(inHistory?.reactions.distinct['❤️']?.total, 1);

      const bobs = await roomB.messages.reactions.clientReactions(msg.serial);
      assert.deepEqual(bobs.distinct, {}, 'bob took his 👍 back');
      assert.deepEqual(bobs.multiple['👏']?.clientIds, { bob: 3 });
      const alices = await roomB.messages.reactions.clientReactions(msg.serial, 'alice');
      assert.deepEqual(Object.keys(alices.distinct).sort(), ['❤️', '👍']);
      assert.deepEqual(alices.multiple, {});
    });

    test('reactions: unknown message 40400, no annotation-publish 40160, bad type or count 40003', async (t) => {
      const { ports } = await backend.start(t, LIMITS);
      const alice = user(t, ports[0], 'alice', false);
      const reader = user(t, ports[1], 'rita', true, READER_KEY);
      const room = await alice.rooms.get('limits');
      const msg = await room.messages.send({ text: 'hi' });
      const unknown = msg.serial.replace(/:\d+$/, ':999');
      assert.equal((await errorOf(room.messages.reactions.send(unknown, { name: '👍' }))).code, 40400);
      assert.equal((await errorOf(room.messages.reactions.clientReactions(unknown))).code, 40400);
      const readerRoom = await reader.rooms.get('limits');
      assert.equal((await errorOf(readerRoom.messages.reactions.send(msg.serial, { name: '👍' }))).code, 40160);
      assert.deepEqual(await readerRoom.messages.reactions.clientReactions(msg.serial), {
        unique: {},
        distinct: {},
        multiple: {},
      });

      const path = `/chat/v4/rooms/limits/messages/${encodeURIComponent(msg.serial)}/reactions`;
      const bad: Array<[string, Record<string, string>, unknown]> = [
        ['post', {}, { type: 'sideways', name: '👍' }],
        ['post', {}, { type: 'distinct' }],
        ['post', {}, { type: 'distinct', name: '👍', count: 2 }],
        ['post', {}, { type: 'multiple', name: '👍', count: 0 }],
        ['delete', { type: 'distinct' }, undefined],
        ['delete', { type: 'nope', name: '👍' }, undefined],
      ];
      for (const [method, params, body] of bad) {
        const res = await alice.realtime.request(method, path, 4, params, body);
        assert.equal(res.errorCode, 40003, `${method} ${JSON.stringify(params)} ${JSON.stringify(body)}`);
      }
      assert.equal((await room.messages.get(msg.serial)).reactions.distinct['👍'], undefined, 'nothing was recorded');
    });

    test('an idempotent send repeated with the same idempotencyKey publishes once', async (t) => {
      const { ports } = await backend.start(t);
      const chat = user(t, ports[0], 'alice', true);
      const room = await chat.rooms.get('chat-idempotent');
      const path = '/chat/v4/rooms/chat-idempotent/messages';
      const first = await chat.realtime.request('post', path, 4, { idempotencyKey: 'k-1' }, { text: 'once' });
      const again = await chat.realtime.request('post', path, 4, { idempotencyKey: 'k-1' }, { text: 'once' });
      assert.equal(first.statusCode, 201);
      assert.equal(again.items[0].serial, first.items[0].serial);
      assert.equal(again.items[0].timestamp, first.items[0].timestamp);
      assert.deepEqual(texts((await room.messages.history({ limit: 10 })).items), ['once']);
      // The SDK's own idempotent mode sends a fresh key per call.
      const sdk = new ChatClient(clientFor(t, ports[1], { clientId: 'bob' }), {
        idempotentRestPublishing: true,
        logLevel: LogLevel.Silent,
      });
      await (await sdk.rooms.get('chat-idempotent')).messages.send({ text: 'twice' });
      assert.deepEqual(texts((await room.messages.history({ limit: 10 })).items), ['twice', 'once']);
    });
  });
}
