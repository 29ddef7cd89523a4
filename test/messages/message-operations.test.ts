import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { Collector, PROTOCOLS } from '../helpers/server.ts';
import { BACKENDS } from './backends.ts';

/** Resolves with the first message matching `predicate` on `channel`. */
function next(channel: Ably.RealtimeChannel, predicate: (m: Ably.Message) => boolean): Promise<Ably.Message> {
  return new Promise((resolve) => {
    const listener = (m: Ably.Message) => {
      if (!predicate(m)) return;
      channel.unsubscribe(listener);
      resolve(m);
    };
    channel.subscribe(listener);
  });
}

for (const backend of BACKENDS) {
  for (const protocol of PROTOCOLS) {
    describe(`message operations (${backend.name}, ${protocol})`, { skip: backend.skip }, () => {
      it('serials sort in publish order and updates, deletes and appends reach subscribers on another node', {
        timeout: 30_000,
      }, async (t) => {
        const [a, b] = await backend.start(t);
        const publisher = a.realtime({ protocol, clientId: 'author' });
        const subscriber = b.realtime({ protocol });
        const pub = publisher.channels.get('mutable:ops');
        const sub = subscriber.channels.get('mutable:ops');
        await Promise.all([pub.attach(), sub.attach()]);
        const seen = new Collector<Ably.Message>();
        await sub.subscribe(seen.push);

        const serials: string[] = [];
        for (let i = 0; i < 12; i++) serials.push(...(await pub.publish('n', `m${i}`)).serials.map(String));
        assert.deepEqual([...serials].sort(), serials, 'serials sort as strings in publish order (9 < 10)');
        await seen.count(12);

        const target = serials[0] as string;
        const updated = await pub.updateMessage({ serial: target, data: { value: 'edited' } } as Ably.Message, {
          clientId: 'editor',
          description: 'fix typo',
          metadata: { reason: 'typo' },
        });
        const update = (await seen.until((items) => items.some((m) => m.action === 'message.update'))).find(
          (m) => m.action === 'message.update',
        ) as Ably.Message;
        assert.equal(update.serial, target);
        assert.equal(update.version?.serial, updated.versionSerial);
        assert.ok((update.version?.serial as string) > target, 'version serial sorts after the message serial');
        assert.equal(update.name, 'n', 'fields the update leaves out keep their value');
        assert.deepEqual(update.data, { value: 'edited' });
        assert.equal(update.clientId, 'author');
        assert.equal(update.version?.clientId, 'editor');
        assert.equal(update.version?.description, 'fix typo');
        assert.deepEqual(update.version?.metadata, { reason: 'typo' });

        const second = serials[1] as string;
        const appendSeen = next(sub, (m) => m.action === 'message.append');
        const appended = await pub.appendMessage({ serial: second, data: ' more' } as Ably.Message);
        const append = await appendSeen;
        assert.equal(append.serial, second);
        assert.equal(append.data, ' more', 'an append carries only its piece');
        assert.equal(append.version?.serial, appended.versionSerial);
        assert.equal(append.name, 'n');

        const deleteSeen = next(sub, (m) => m.action === 'message.delete');
        const deleted = await pub.deleteMessage({ serial: second } as Ably.Message, { description: 'gone' });
        const del = await deleteSeen;
        assert.equal(del.version?.serial, deleted.versionSerial);
        assert.ok((deleted.versionSerial as string) > (appended.versionSerial as string));
        await assert.rejects(pub.appendMessage({ serial: second, data: 'x' } as Ably.Message), { code: 40030 });
        await assert.rejects(pub.updateMessage({ serial: `${second}9`, data: 'x' } as Ably.Message), { code: 40400 });

        // REST on the other node: latest versions, versions oldest first, history one entry per message.
        const rest = b.rest({ protocol });
        const channel = rest.channels.get('mutable:ops');
        const got = await channel.getMessage(target);
        assert.equal(got.action, 'message.update');
        assert.deepEqual(got.data, { value: 'edited' });
        assert.equal(got.version?.serial, updated.versionSerial);
        const versions = await channel.getMessageVersions(second);
        assert.deepEqual(
          versions.items.map((m) => [m.action, m.data]),
          [
            ['message.create', 'm1'],
            ['message.update', 'm1 more'],
            ['message.delete', null],
          ],
        );
        const history = await channel.history({ limit: 100 });
        assert.equal(history.items.length, 12, 'operations are not history entries of their own');
        const first = history.items.find((m) => m.serial === target) as Ably.Message;
        assert.deepEqual(first.data, { value: 'edited' });
        assert.equal(history.items.find((m) => m.serial === second)?.action, 'message.delete');
      });

      it('REST operations: update, append, get, errors and capabilities', { timeout: 30_000 }, async (t) => {
        const [a, b] = await backend.start(t);
        const channel = a.rest({ protocol }).channels.get('mutable:rest');
        const { serials } = await channel.publish('greeting', 'Hello');
        const serial = serials[0] as string;
        const original = await b.rest({ protocol }).channels.get('mutable:rest').getMessage(serial);
        const appended = await channel.appendMessage({ serial, data: ' World' } as Ably.Message, {
          clientId: 'appender',
          description: 'append',
          metadata: { k: 'v' },
        });
        const latest = await channel.getMessage(serial);
        assert.equal(latest.data, 'Hello World');
        assert.equal(latest.action, 'message.update');
        assert.equal(latest.name, 'greeting');
        assert.equal(latest.version?.serial, appended.versionSerial);
        assert.ok((latest.version?.timestamp as number) >= (original.timestamp as number));
        assert.equal(latest.version?.clientId, 'appender');
        await assert.rejects(channel.getMessage(`${serial}0`), { code: 40400, statusCode: 404 });
        await assert.rejects(channel.updateMessage({ data: 'no serial' } as Ably.Message), { code: 40003 });
        const big = 'x'.repeat(a.server.config.maxMessageSize + 1);
        await assert.rejects(channel.appendMessage({ serial, data: big } as Ably.Message), { code: 40009 });
        assert.equal((await channel.getMessage(serial)).data, 'Hello World', 'a refused operation changes nothing');

        // Capabilities: -own lets a client change only its own messages; publish alone changes nothing.
        const tokenFor = async (clientId: string, capability: Record<string, string[]>) =>
          a.rest().auth.requestToken({ clientId, capability: JSON.stringify(capability) });
        const bobToken = await tokenFor('bob', { 'mutable:*': ['publish', 'subscribe', 'history', 'message-update-own'] });
        const bob = a.rest({ protocol, token: bobToken.token, key: undefined }).channels.get('mutable:rest');
        const bobs = (await bob.publish('mine', 'a')).serials[0] as string;
        await bob.appendMessage({ serial: bobs, data: 'b' } as Ably.Message);
        assert.equal((await bob.getMessage(bobs)).data, 'ab');
        await assert.rejects(bob.appendMessage({ serial, data: '!' } as Ably.Message), { code: 40160 });
        await assert.rejects(bob.deleteMessage({ serial: bobs } as Ably.Message), { code: 40160 });
      });

      it('rewind shows an appended message whole, as an update', { timeout: 30_000 }, async (t) => {
        const [a, b] = await backend.start(t);
        const publisher = a.realtime({ protocol });
        const pub = publisher.channels.get('mutable:rewind');
        const { serials } = await pub.publish('reply', 'Hello');
        const serial = serials[0] as string;
        const { versionSerial } = await pub.appendMessage({ serial, data: ' World' } as Ably.Message);
        const late = b.realtime({ protocol }).channels.get('mutable:rewind', { params: { rewind: '1' } });
        const first = next(late, () => true);
        await late.attach();
        const m = await first;
        assert.equal(m.action, 'message.update');
        assert.equal(m.serial, serial);
        assert.equal(m.data, 'Hello World');
        assert.equal(m.version?.serial, versionSerial);

        // ably-js's own flow (realtime/updates-deletes): detach, set rewind, subscribe (which attaches once).
        await pub.detach();
        await pub.setOptions({ params: { rewind: '1' } });
        const again = next(pub, () => true);
        await pub.attach();
        const whole = await again;
        assert.equal(whole.action, 'message.update');
        assert.equal(whole.data, 'Hello World');
        assert.deepEqual(pub.params, { rewind: '1' });
      });

      it('a client attaching mid-stream gets the text so far as an update, then the appends', { timeout: 30_000 }, async (t) => {
        const [a, b] = await backend.start(t);
        const pub = a.realtime({ protocol }).channels.get('mutable:stream');
        await pub.attach();
        const { serials } = await pub.publish('reply', 'A');
        const serial = serials[0] as string;
        for (const piece of ['B', 'C']) await pub.appendMessage({ serial, data: piece } as Ably.Message);
        const late = b.realtime({ protocol }).channels.get('mutable:stream');
        const got = new Collector<Ably.Message>();
        await late.subscribe(got.push);
        await pub.appendMessage({ serial, data: 'D' } as Ably.Message);
        // The text so far is read when D arrives: E is sent after it is out, so E is not part of it.
        await got.count(1);
        await pub.appendMessage({ serial, data: 'E' } as Ably.Message);
        await got.count(2);
        assert.deepEqual(
          got.items.map((m) => [m.action, m.data]),
          [
            ['message.update', 'ABCD'],
            ['message.append', 'E'],
          ],
        );
        assert.equal(got.items[0]?.serial, serial);
        assert.ok((got.items[1]?.version?.serial as string) > (got.items[0]?.version?.serial as string));
      });

      it('ephemeral messages are delivered live but kept out of history and rewind', { timeout: 30_000 }, async (t) => {
        const [a, b] = await backend.start(t);
        const sub = b.realtime({ protocol }).channels.get('typing');
        const got = new Collector<Ably.Message>();
        await sub.subscribe(got.push);
        const pub = a.realtime({ protocol }).channels.get('typing');
        await pub.publish({ name: 'typing', data: 'x', extras: { ephemeral: true } });
        await pub.publish({ name: 'said', data: 'hello' });
        // One event with both kinds: only the lasting item is kept, with the serial and id it was delivered with.
        await pub.publish([
          { name: 'typing', data: 'y', extras: { ephemeral: true } },
          { name: 'kept', data: 'z' },
        ]);
        await got.count(4);
        assert.deepEqual(
          got.items.map((m) => m.name),
          ['typing', 'said', 'typing', 'kept'],
        );
        const live = got.items[3] as Ably.Message;
        const history = await a.rest({ protocol }).channels.get('typing').history();
        assert.deepEqual(
          history.items.map((m) => [m.name, m.serial, m.id]),
          [
            ['kept', live.serial, live.id],
            ['said', got.items[1]?.serial, got.items[1]?.id],
          ],
        );
        const rewound = b.realtime({ protocol }).channels.get('typing', { params: { rewind: '10' } });
        const replay = new Collector<Ably.Message>();
        await rewound.subscribe(replay.push);
        await replay.count(2);
        assert.deepEqual(
          replay.items.map((m) => [m.name, m.serial]),
          [
            ['said', got.items[1]?.serial],
            ['kept', live.serial],
          ],
        );
      });
    });
  }
}
