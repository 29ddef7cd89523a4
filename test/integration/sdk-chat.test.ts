import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import { ChatClient, type OccupancyEvent, type PresenceEvent, type RoomReactionEvent, type TypingSetEvent } from '@ably/chat';
import { clientFor } from '../cluster/cluster-helpers.ts';
import { sdkBackends } from '../helpers/backends.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { Collector, startServer, TEST_KEY } from '../helpers/server.ts';

// `@ably/chat` 1.4.0, unmodified, against real Rollcall servers: one node in memory, and two nodes sharing Redis
// with the two users on different nodes (so every feature below also crosses nodes).
const redis: TestRedis | undefined = redisSkip() ? undefined : await startRedis({ after });

const FAST = { occupancyEventInterval: 25 };
const BACKENDS = sdkBackends(redis);

/** A user: a realtime client with a clientId (JSON for A, msgpack for B) and a ChatClient on it. */
const user = (t: TestContext, port: number, clientId: string, binary: boolean): ChatClient =>
  new ChatClient(clientFor(t, port, { clientId, useBinaryProtocol: binary }));

const last = <T>(items: T[]): T | undefined => items[items.length - 1];

for (const backend of BACKENDS) {
  describe(`@ably/chat 1.4.0 (${backend.name})`, { skip: backend.skip, timeout: 30_000 }, () => {
    test('presence: enter, update, leave seen by the other user; get() lists members', async (t) => {
      const { ports } = await backend.start(t, FAST);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-presence');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-presence');
      const seen = new Collector<PresenceEvent>();
      roomB.presence.subscribe(seen.push);
      await Promise.all([roomA.attach(), roomB.attach()]);

      await roomA.presence.enter({ status: 'online' });
      await seen.until((e) => e.some((x) => x.type === 'enter' && x.member.clientId === 'alice'));
      await roomA.presence.update({ status: 'away' });
      await seen.until((e) => e.some((x) => x.type === 'update'));
      assert.deepEqual(last(seen.items)?.member.data, { status: 'away' });
      const members = await roomB.presence.get();
      assert.deepEqual(
        members.map((m) => [m.clientId, m.data]),
        [['alice', { status: 'away' }]],
      );
      assert.equal(await roomB.presence.isUserPresent('alice'), true);

      await roomA.presence.leave({ status: 'gone' });
      await seen.until((e) => e.some((x) => x.type === 'leave'));
      assert.equal(await roomB.presence.isUserPresent('alice'), false);
    });

    test('typing: keystroke and stop change the other user’s typing set', async (t) => {
      const { ports } = await backend.start(t, FAST);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-typing');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-typing');
      const sets = new Collector<TypingSetEvent>();
      roomB.typing.subscribe(sets.push);
      await Promise.all([roomA.attach(), roomB.attach()]);

      await roomA.typing.keystroke();
      await sets.count(1);
      assert.deepEqual([...(last(sets.items)?.currentlyTyping ?? [])], ['alice']);
      assert.equal(last(sets.items)?.change.type, 'typing.started');
      assert.deepEqual([...roomB.typing.current], ['alice']);

      await roomA.typing.stop();
      await sets.count(2);
      assert.equal(last(sets.items)?.change.type, 'typing.stopped');
      assert.equal(last(sets.items)?.currentlyTyping.size, 0);
    });

    test('occupancy: events on attach and on change, current, and occupancy.get() over REST', async (t) => {
      const { ports } = await backend.start(t, FAST);
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-occupancy', { occupancy: { enableEvents: true } });
      const events = new Collector<OccupancyEvent>();
      roomB.occupancy.subscribe(events.push);
      await roomB.attach();
      await events.until((e) => last(e)?.occupancy.connections === 1);

      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-occupancy');
      await roomA.attach();
      await roomA.presence.enter();
      await events.until((e) => last(e)?.occupancy.connections === 2 && last(e)?.occupancy.presenceMembers === 1);
      assert.deepEqual(roomB.occupancy.current, { connections: 2, presenceMembers: 1 });
      // REST, from either user's node.
      assert.deepEqual(await roomA.occupancy.get(), { connections: 2, presenceMembers: 1 });
      assert.deepEqual(await roomB.occupancy.get(), { connections: 2, presenceMembers: 1 });

      await roomA.detach();
      await events.until((e) => last(e)?.occupancy.connections === 1 && last(e)?.occupancy.presenceMembers === 0);
      assert.deepEqual(await roomA.occupancy.get(), { connections: 1, presenceMembers: 0 });
    });

    test('room reactions reach both users with name, metadata, headers and who sent them', async (t) => {
      const { ports } = await backend.start(t, FAST);
      const roomA = await user(t, ports[0], 'alice', false).rooms.get('chat-reactions');
      const roomB = await user(t, ports[1], 'bob', true).rooms.get('chat-reactions');
      const atA = new Collector<RoomReactionEvent>();
      const atB = new Collector<RoomReactionEvent>();
      roomA.reactions.subscribe(atA.push);
      roomB.reactions.subscribe(atB.push);
      await Promise.all([roomA.attach(), roomB.attach()]);

      await roomA.reactions.send({ name: '👍', metadata: { effect: 'fireworks' }, headers: { team: 'blue' } });
      const [atBob] = await atB.count(1);
      assert.equal(atBob?.reaction.name, '👍');
      assert.equal(atBob?.reaction.clientId, 'alice');
      assert.equal(atBob?.reaction.isSelf, false);
      assert.deepEqual(atBob?.reaction.metadata, { effect: 'fireworks' });
      assert.deepEqual(atBob?.reaction.headers, { team: 'blue' });
      const [atAlice] = await atA.count(1);
      assert.equal(atAlice?.reaction.isSelf, true);
    });
  });
}

test('chat occupancy REST: a room the key may not read is 40160, an unknown path under the room 404', async (t) => {
  const s = await startServer(t, {
    keys: [{ key: TEST_KEY, capability: { 'open::$chat': ['subscribe', 'channel-metadata'], 'secret::$chat': ['subscribe'] } }],
  });
  const rest = s.rest();
  const ok = await rest.request('get', '/chat/v4/rooms/open/occupancy', 4);
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.items, [{ connections: 0, presenceMembers: 0 }]);
  const denied = await rest.request('get', '/chat/v4/rooms/secret/occupancy', 4);
  assert.equal(denied.errorCode, 40160);
  const missing = await rest.request('get', '/chat/v4/rooms/open/nothing-here', 4);
  assert.equal(missing.errorCode, 40400);
});
