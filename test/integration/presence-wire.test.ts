import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Action, Flag, PresenceAction } from '../../src/protocol/index.ts';
import { type Frame, RawClient } from '../helpers/raw-client.ts';
import { PROTOCOLS, startServer } from '../helpers/server.ts';

type Item = { id: string; action: number; clientId: string; connectionId: string; timestamp: number; data?: unknown };
const itemsOf = (f: Frame) => f.presence as Item[];

for (const protocol of PROTOCOLS) {
  describe(`presence on the wire (${protocol})`, () => {
    test('SYNC is paged with syncId:cursor, ends with an empty cursor, and replays original ids and timestamps', async (t) => {
      const s = await startServer(t, { syncPageSize: 3 });
      const member = await RawClient.open(t, s.port, protocol);
      member.send({ action: Action.ATTACH, channel: 'paged' });
      await member.next(Action.ATTACHED);
      const entered = Array.from({ length: 7 }, (_, i) => ({ action: PresenceAction.ENTER, clientId: `m${i}`, data: `d${i}` }));
      member.send({ action: Action.PRESENCE, channel: 'paged', msgSerial: 0, presence: entered });
      const echo = await member.next(Action.PRESENCE);
      const originals = new Map(itemsOf(echo).map((i) => [i.clientId, i]));

      const joiner = await RawClient.open(t, s.port, protocol);
      joiner.send({ action: Action.ATTACH, channel: 'paged' });
      const attached = await joiner.next(Action.ATTACHED);
      assert.ok((attached.flags as number) & Flag.HAS_PRESENCE);
      const pages = await joiner.frames.until((fs) => fs.filter((f) => f.action === Action.SYNC).length >= 3);
      const syncs = pages.filter((f) => f.action === Action.SYNC);
      assert.equal(syncs.length, 3);
      const serials = syncs.map((f) => f.channelSerial as string);
      const syncId = serials[0]?.split(':')[0] as string;
      assert.match(syncId, /^[\w-]+$/);
      assert.deepEqual(serials, [`${syncId}:3`, `${syncId}:6`, `${syncId}:`]);
      assert.ok(pages.indexOf(attached) < pages.indexOf(syncs[0] as Frame), 'ATTACHED precedes SYNC');
      const synced = syncs.flatMap(itemsOf);
      assert.equal(synced.length, 7);
      for (const item of synced) {
        const original = originals.get(item.clientId);
        assert.equal(item.action, PresenceAction.PRESENT);
        assert.equal(item.id, original?.id);
        assert.equal(item.timestamp, original?.timestamp);
        assert.equal(item.connectionId, echo.connectionId);
      }
    });

    test('a client-requested SYNC is answered; an empty channel syncs as presence: []', async (t) => {
      const s = await startServer(t);
      const c = await RawClient.open(t, s.port, protocol, { clientId: 'asker' });
      c.send({ action: Action.ATTACH, channel: 'quiet' });
      const attached = await c.next(Action.ATTACHED);
      assert.equal((attached.flags as number) & Flag.HAS_PRESENCE, 0);
      c.send({ action: Action.SYNC, channel: 'quiet' });
      const empty = await c.next(Action.SYNC);
      assert.deepEqual(empty.presence, []);
      assert.match(empty.channelSerial as string, /^[\w-]+:$/);
      c.send({ action: Action.PRESENCE, channel: 'quiet', msgSerial: 0, presence: [{ action: PresenceAction.ENTER }] });
      await c.next(Action.ACK);
      c.send({ action: Action.SYNC, channel: 'quiet' });
      const full = await c.next(Action.SYNC, (f) => (f.presence as unknown[]).length > 0);
      assert.deepEqual(
        itemsOf(full).map((i) => i.clientId),
        ['asker'],
      );
    });

    test('ids are connectionId:msgSerial:index; re-entry with the current id is ACKed but not re-broadcast', async (t) => {
      const s = await startServer(t);
      const watcher = await RawClient.open(t, s.port, protocol, { clientId: 'watcher' });
      watcher.send({ action: Action.ATTACH, channel: 'ids' });
      await watcher.next(Action.ATTACHED);
      const member = await RawClient.open(t, s.port, protocol, { clientId: 'm' });
      const connectionId = (await member.next(Action.CONNECTED)).connectionId as string;
      member.send({ action: Action.ATTACH, channel: 'ids' });
      await member.next(Action.ATTACHED);
      member.send({
        action: Action.PRESENCE,
        channel: 'ids',
        msgSerial: 0,
        presence: [{ action: PresenceAction.ENTER, data: 'a' }],
      });
      const enter = await watcher.next(Action.PRESENCE);
      assert.equal(itemsOf(enter)[0]?.id, `${connectionId}:0:0`);
      member.send({
        action: Action.PRESENCE,
        channel: 'ids',
        msgSerial: 1,
        presence: [{ action: PresenceAction.ENTER, id: `${connectionId}:0:0`, clientId: 'm', data: 'a' }],
      });
      await member.next(Action.ACK, (f) => f.msgSerial === 1);
      member.send({
        action: Action.PRESENCE,
        channel: 'ids',
        msgSerial: 2,
        presence: [{ action: PresenceAction.ENTER, data: 'b' }],
      });
      const update = await watcher.next(Action.PRESENCE, (f) => itemsOf(f)[0]?.data === 'b');
      assert.equal(itemsOf(update)[0]?.action, PresenceAction.UPDATE, 'entering again is an update');
      assert.equal(itemsOf(update)[0]?.id, `${connectionId}:2:0`);
      const broadcasts = watcher.frames.items.filter((f) => f.action === Action.PRESENCE);
      assert.equal(broadcasts.length, 2, 'the re-entry (msgSerial 1) was not broadcast');

      member.send({ action: Action.CLOSE });
      const leave = await watcher.next(Action.PRESENCE, (f) => itemsOf(f)[0]?.action === PresenceAction.LEAVE);
      const item = itemsOf(leave)[0] as Item;
      assert.equal(item.connectionId, connectionId);
      assert.equal(item.data, 'b');
      assert.ok(!item.id.startsWith(connectionId), 'a server-generated leave is recognisably synthesized');
      assert.ok(item.timestamp >= (itemsOf(update)[0] as Item).timestamp);
    });

    test('a stale re-entry (older than the last acknowledged operation) is ACKed and changes nothing (issue 11)', async (t) => {
      const s = await startServer(t);
      const watcher = await RawClient.open(t, s.port, protocol, { clientId: 'watcher' });
      watcher.send({ action: Action.ATTACH, channel: 'stale' });
      await watcher.next(Action.ATTACHED);
      const member = await RawClient.open(t, s.port, protocol, { clientId: 'm' });
      const connectionId = (await member.next(Action.CONNECTED)).connectionId as string;
      member.send({ action: Action.ATTACH, channel: 'stale' });
      await member.next(Action.ATTACHED);
      const op = async (msgSerial: number, item: Record<string, unknown>) => {
        member.send({ action: Action.PRESENCE, channel: 'stale', msgSerial, presence: [item] });
        const ack = await member.next(Action.ACK, (f) => f.msgSerial === msgSerial);
        assert.equal(ack.action, Action.ACK, `msgSerial ${msgSerial} is ACKed, not NACKed`);
      };
      const restData = async () => {
        const items = (await s.rest({ protocol }).channels.get('stale').presence.get()).items;
        return items.map((m) => m.data);
      };
      await op(0, { action: PresenceAction.ENTER, data: 'v0' });
      await op(1, { action: PresenceAction.UPDATE, data: 'v1' });
      // The SDK re-enters with the last message it received (v0) after a cut hid v1's broadcast from it.
      await op(2, { action: PresenceAction.ENTER, id: `${connectionId}:0:0`, clientId: 'm', data: 'v0' });
      assert.deepEqual(await restData(), ['v1']);
      await op(3, { action: PresenceAction.LEAVE, data: 'bye' });
      await op(4, { action: PresenceAction.ENTER, id: `${connectionId}:1:0`, clientId: 'm', data: 'v1' });
      assert.deepEqual(await restData(), [], 'a member whose leave was acknowledged is not resurrected');
      await op(5, { action: PresenceAction.ENTER, data: 'v5' });
      await watcher.next(Action.PRESENCE, (f) => itemsOf(f)[0]?.data === 'v5');
      const seen = watcher.frames.items
        .filter((f) => f.action === Action.PRESENCE)
        .map((f) => `${itemsOf(f)[0]?.action}:${itemsOf(f)[0]?.data}`);
      assert.deepEqual(seen, [
        `${PresenceAction.ENTER}:v0`,
        `${PresenceAction.UPDATE}:v1`,
        `${PresenceAction.LEAVE}:bye`,
        `${PresenceAction.ENTER}:v5`,
      ]);
    });
  });
}
