import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Action } from '../../src/protocol/constants.ts';
import { messageSerial } from '../../src/store/serial.ts';
import { type Frame, RawClient } from '../helpers/raw-client.ts';
import { Collector, connectionState, PROTOCOLS, type Protocol, startServer, type TestServer } from '../helpers/server.ts';

const MAX_FRAME = 4096;
const MAX_MESSAGE = 1024;

const errorCode = (f: Frame): number | undefined => (f.error as { code?: number } | undefined)?.code;

/** An SDK client that publishes to itself; `check()` proves it still publishes and receives. */
async function bystander(s: TestServer, protocol: Protocol): Promise<{ check(): Promise<void> }> {
  const client = s.realtime({ protocol });
  const received = new Collector<Ably.InboundMessage>();
  const channel = client.channels.get('bystander');
  await channel.subscribe(received.push);
  let n = 0;
  return {
    async check() {
      const name = `still-working-${++n}`;
      await channel.publish(name, 'ok');
      await received.until((items) => items.some((m) => m.name === name));
      assert.equal(client.connection.state, 'connected');
    },
  };
}

/** A fatal ERROR: no channel, the given code, then the server closes the socket and frees the connection. */
async function assertFatal(s: TestServer, raw: RawClient, code: number): Promise<void> {
  const error = await raw.next(Action.ERROR);
  assert.equal(error.channel, undefined);
  assert.equal(errorCode(error), code, JSON.stringify(error));
  await raw.closed;
  const connected = raw.frames.items[0] as Frame;
  assert.equal(s.server.node.connections.has(connected.connectionId as string), false, 'connection state freed');
}

for (const protocol of PROTOCOLS) {
  describe(`credentials are checked after the upgrade (${protocol})`, () => {
    for (const [what, key, code] of [
      ['wrong secret', 'testapp.key1:not-the-secret', 40101],
      ['unknown key', 'nosuchapp.key9:secret', 40101],
      ['unknown key as ably-js tests it', 'this.is:wrong', 40101],
      ['malformed key (no app id)', 'nodot:secret', 40101],
    ] as const) {
      test(`${what} → connection failed with ${code}`, async (t) => {
        const s = await startServer(t);
        const client = s.realtime({ protocol, key });
        const change = await connectionState(client, 'failed');
        assert.equal(change?.reason?.code, code);
        assert.equal(client.connection.errorReason?.code, code);
        assert.equal(s.server.node.connections.size, 0);
      });
    }

    test('a raw client with a wrong secret gets ERROR 40101 and a closed socket (not a refused upgrade)', async (t) => {
      const s = await startServer(t);
      const raw = await RawClient.open(t, s.port, protocol, { key: 'testapp.key1:wrong' });
      const [first] = raw.frames.items as [Frame];
      assert.equal(first.action, Action.ERROR);
      assert.equal(errorCode(first), 40101);
      await raw.closed;
    });
  });

  describe(`bad input on a raw socket (${protocol})`, () => {
    test('undecodable frames get a fatal ERROR 80013; an SDK client on the same server keeps working', async (t) => {
      const s = await startServer(t);
      const sdk = await bystander(s, protocol);
      const garbage = protocol === 'json' ? '{"action":15,' : Buffer.from([0xc1, 0xff]);
      const raw = await RawClient.open(t, s.port, protocol);
      raw.sendRaw(garbage, protocol === 'msgpack');
      await assertFatal(s, raw, 80013);
      await sdk.check();
    });

    test('fields of the wrong type get a fatal ERROR 80013', async (t) => {
      const s = await startServer(t);
      const sdk = await bystander(s, protocol);
      for (const bad of [
        { action: Action.MESSAGE, channel: 'x', msgSerial: 'zero' },
        { action: 'attach', channel: 'x' },
        { action: Action.MESSAGE, channel: 'x', msgSerial: 0, messages: { name: 'not-an-array' } },
        [Action.ATTACH, 'x'],
      ]) {
        const raw = await RawClient.open(t, s.port, protocol);
        raw.send(bad);
        await assertFatal(s, raw, 80013);
      }
      await sdk.check();
    });

    test('message data of an unsupported type gets ERROR 40013', async (t) => {
      const s = await startServer(t);
      const raw = await RawClient.open(t, s.port, protocol);
      raw.send({ action: Action.MESSAGE, channel: 'x', msgSerial: 0, messages: [{ data: { object: 'not encoded' } }] });
      await assertFatal(s, raw, 40013);
    });

    test('an unknown action: NACK 80013 when it has a msgSerial (and the connection goes on), else a fatal ERROR', async (t) => {
      const s = await startServer(t);
      const sdk = await bystander(s, protocol);
      const raw = await RawClient.open(t, s.port, protocol);
      raw.send({ action: 99, msgSerial: 0 });
      const nack = await raw.next(Action.NACK);
      assert.equal(nack.msgSerial, 0);
      assert.equal(nack.count, 1);
      assert.equal(errorCode(nack), 80013);
      raw.send({ action: Action.MESSAGE, channel: 'after', msgSerial: 1, messages: [{ name: 'ok', data: 'fine' }] });
      const ack = await raw.next(Action.ACK);
      assert.equal(ack.msgSerial, 1);

      const raw2 = await RawClient.open(t, s.port, protocol);
      raw2.send({ action: 99 });
      await assertFatal(s, raw2, 80013);
      await sdk.check();
    });

    test('a frame over maxFrameSize is NACKed 40009; far over it, the socket is closed (1009)', async (t) => {
      const s = await startServer(t, { maxFrameSize: MAX_FRAME, maxMessageSize: MAX_MESSAGE });
      const sdk = await bystander(s, protocol);
      const raw = await RawClient.open(t, s.port, protocol);
      // Many small messages: each under maxMessageSize, the frame over maxFrameSize.
      const messages = Array.from({ length: 10 }, (_, i) => ({ name: `m${i}`, data: 'x'.repeat(MAX_MESSAGE / 2) }));
      raw.send({ action: Action.MESSAGE, channel: 'big', msgSerial: 0, messages });
      const nack = await raw.next(Action.NACK);
      assert.equal(nack.msgSerial, 0);
      assert.equal(errorCode(nack), 40009);
      raw.send({ action: Action.MESSAGE, channel: 'big', msgSerial: 1, messages: [{ name: 'small', data: 'x' }] });
      assert.equal((await raw.next(Action.ACK)).msgSerial, 1);

      // Oversized and undecodable: still reported as too large, not as a protocol error.
      const raw2 = await RawClient.open(t, s.port, protocol);
      raw2.sendRaw(Buffer.alloc(MAX_FRAME + 100, 0xc1), true);
      await assertFatal(s, raw2, 40009);

      // Beyond what the server will buffer at all, ws refuses the frame itself.
      const raw3 = await RawClient.open(t, s.port, protocol);
      raw3.sendRaw(Buffer.alloc(MAX_FRAME * 3, 0x20), protocol === 'msgpack');
      assert.equal(await raw3.closed, 1009);
      await sdk.check();
    });

    test('a message over maxMessageSize is NACKed 40009 and the connection goes on', async (t) => {
      const s = await startServer(t, { maxFrameSize: MAX_FRAME, maxMessageSize: MAX_MESSAGE });
      const raw = await RawClient.open(t, s.port, protocol);
      const connected = raw.frames.items[0] as Frame;
      assert.equal((connected.connectionDetails as { maxMessageSize: number }).maxMessageSize, MAX_MESSAGE);
      raw.send({
        action: Action.MESSAGE,
        channel: 'c',
        msgSerial: 0,
        messages: [{ name: 'big', data: 'x'.repeat(MAX_MESSAGE + 1) }],
      });
      const nack = await raw.next(Action.NACK);
      assert.equal(nack.msgSerial, 0);
      assert.equal(errorCode(nack), 40009);
      raw.send({
        action: Action.MESSAGE,
        channel: 'c',
        msgSerial: 1,
        messages: [{ name: 'ok', data: 'x'.repeat(MAX_MESSAGE / 2) }],
      });
      assert.equal((await raw.next(Action.ACK)).msgSerial, 1);
    });

    test('an invalid channel name gets a channel ERROR 40010 and the connection goes on', async (t) => {
      const s = await startServer(t);
      const raw = await RawClient.open(t, s.port, protocol);
      for (const channel of ['', 'a\u0000b', '[unterminated', 'x'.repeat(s.server.config.maxChannelNameLength + 1)]) {
        raw.send({ action: Action.ATTACH, channel });
        const error = await raw.next(Action.ERROR, (f) => f.channel === channel);
        assert.equal(errorCode(error), 40010, JSON.stringify(channel).slice(0, 40));
      }
      raw.send({ action: Action.ATTACH, channel: 'fine' });
      const attached = await raw.next(Action.ATTACHED);
      assert.equal(attached.channel, 'fine');
    });

    test('on the wire: ACK res serials, and binary data as base64 for JSON, as bin for msgpack', async (t) => {
      const s = await startServer(t);
      const raw = await RawClient.open(t, s.port, protocol);
      raw.send({ action: Action.ATTACH, channel: 'wire' });
      await raw.next(Action.ATTACHED);
      const publisher = s.realtime({ protocol: protocol === 'json' ? 'msgpack' : 'json' });
      const result = await publisher.channels.get('wire').publish('bin', Buffer.from([1, 2, 3]));
      const delivered = await raw.next(Action.MESSAGE);
      const [item] = delivered.messages as [Record<string, unknown>];
      if (protocol === 'json') {
        assert.equal(item.data, 'AQID');
        assert.equal(item.encoding, 'base64');
      } else {
        assert.ok(item.data instanceof Uint8Array);
        assert.deepEqual(Buffer.from(item.data), Buffer.from([1, 2, 3]));
        assert.equal(item.encoding, undefined);
      }
      assert.equal(delivered.connectionId, publisher.connection.id);
      assert.equal(typeof delivered.timestamp, 'number');
      assert.equal(typeof delivered.channelSerial, 'string');
      assert.equal(item.serial, messageSerial(delivered.channelSerial as string, 0));
      assert.deepEqual(result, { serials: [item.serial] });

      raw.send({ action: Action.MESSAGE, channel: 'wire', msgSerial: 0, messages: [{ name: 'a' }, { name: 'b' }] });
      const ack = await raw.next(Action.ACK);
      assert.equal(ack.msgSerial, 0);
      assert.equal(ack.count, 1);
      const res = ack.res as Array<{ serials: string[] }>;
      assert.equal(res.length, 1);
      assert.equal(res[0]?.serials.length, 2);
    });
  });
}
