import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { codeOf, rawSocket } from '../helpers/auth.ts';
import {
  connectionState,
  OTHER_APP_KEY,
  PROTOCOLS,
  type Protocol,
  startServer,
  TEST_KEY,
  type TestServer,
} from '../helpers/server.ts';

const MESSAGE = 15;
const NACK = 2;
const ERROR = 9;

/** Another client on the same server (and same key) still does everything normally. */
async function bystanderWorks(s: TestServer, protocol: Protocol): Promise<void> {
  const client = s.realtime({ protocol, clientId: 'bystander' });
  const channel = client.channels.get('fine');
  const received = new Promise<Ably.Message>((resolve) => channel.subscribe(resolve));
  await channel.presence.enter();
  await channel.publish('still', 'ok');
  assert.equal((await received).data, 'ok');
  client.close();
}

const withCode = (code: number) => (f: Record<string, unknown>) => codeOf(f) === code;

for (const protocol of PROTOCOLS) {
  describe(`limits (${protocol})`, () => {
    it('maxFrameSize: an oversized frame is refused with 40009', async (t) => {
      const s = await startServer(t, { maxFrameSize: 4096, maxMessageSize: 1024 });
      const raw = await rawSocket(t, s.port, protocol, { key: TEST_KEY });
      raw.send({ action: MESSAGE, channel: 'big', msgSerial: 0, messages: [{ name: 'n', data: 'x'.repeat(6000) }] });
      const refused = await raw.frames.until((all) => all.some(withCode(40009)));
      assert.ok(refused.some((f) => (f.action === NACK || f.action === ERROR) && codeOf(f) === 40009));
      await bystanderWorks(s, protocol);
    });

    it('maxMessageSize: a message over the limit inside an acceptable frame is NACKed with 40009', async (t) => {
      const s = await startServer(t, { maxFrameSize: 4096, maxMessageSize: 1024 });
      const raw = await rawSocket(t, s.port, protocol, { key: TEST_KEY });
      raw.send({ action: MESSAGE, channel: 'big', msgSerial: 0, messages: [{ name: 'n', data: 'x'.repeat(2000) }] });
      assert.equal(codeOf(await raw.next(NACK)), 40009);
      raw.send({ action: MESSAGE, channel: 'big', msgSerial: 1, messages: [{ name: 'n', data: 'small' }] });
      assert.ok(await raw.next(1 /* ACK */, (f) => f.msgSerial === 1), 'the same connection carries on');
      await bystanderWorks(s, protocol);
    });

    it('maxInboundRate: messages beyond the rate are NACKed with 42910', async (t) => {
      const s = await startServer(t, { maxInboundRate: 20 });
      const raw = await rawSocket(t, s.port, protocol, { key: TEST_KEY });
      for (let i = 0; i < 60; i++) raw.send({ action: MESSAGE, channel: 'flood', msgSerial: i, messages: [{ data: `${i}` }] });
      const answers = await raw.frames.until((all) => all.filter((f) => f.msgSerial !== undefined).length >= 60);
      const nacks = answers.filter((f) => f.action === NACK);
      assert.ok(nacks.length >= 30, `most of the burst is refused (${nacks.length} NACKs)`);
      assert.ok(nacks.every(withCode(42910)));
      await bystanderWorks(s, protocol);
    });

    it('maxChannelsPerConnection: one channel too many fails alone with 90010', async (t) => {
      const s = await startServer(t, { maxChannelsPerConnection: 3 });
      const client = s.realtime({ protocol });
      const channels = ['a', 'b', 'c'].map((n) => client.channels.get(n));
      await Promise.all(channels.map((c) => c.attach()));
      await assert.rejects(client.channels.get('d').attach(), { code: 90010 });
      assert.ok(channels.every((c) => c.state === 'attached'));
      await bystanderWorks(s, protocol);
    });

    it('maxMembersPerChannel: an enter beyond the limit is NACKed with 91003', async (t) => {
      const s = await startServer(t, { maxMembersPerChannel: 2 });
      const client = s.realtime({ protocol });
      const room = client.channels.get('room');
      await room.presence.enterClient('m1');
      await room.presence.enterClient('m2');
      await assert.rejects(room.presence.enterClient('m3'), { code: 91003 });
      await room.presence.updateClient('m1', 'updating an existing member is fine');
      await bystanderWorks(s, protocol);
    });

    it('maxClientIdLength: a too-long clientId is refused (40012) at connect and on enterClient', async (t) => {
      const s = await startServer(t, { maxClientIdLength: 16 });
      const tooLong = 'x'.repeat(17);
      const refused = s.realtime({ protocol, clientId: tooLong });
      await assert.rejects(
        connectionState(refused, 'connected'),
        (err: { reason?: Ably.ErrorInfo }) => err.reason?.code === 40012,
      );
      const client = s.realtime({ protocol });
      await assert.rejects(client.channels.get('room').presence.enterClient(tooLong), { code: 40012 });
      await bystanderWorks(s, protocol);
    });

    it('maxChannelNameLength: a too-long channel name fails that channel with 40010', async (t) => {
      const s = await startServer(t, { maxChannelNameLength: 16 });
      const client = s.realtime({ protocol });
      await assert.rejects(client.channels.get('c'.repeat(17)).attach(), { code: 40010 });
      await client.channels.get('c'.repeat(16)).attach();
      await bystanderWorks(s, protocol);
    });

    it('maxConnectionsPerKey: one connection too many is refused with 40111; another key is unaffected', async (t) => {
      const s = await startServer(t, { maxConnectionsPerKey: 2 });
      await Promise.all([s.realtime({ protocol }), s.realtime({ protocol })].map((c) => connectionState(c, 'connected')));
      const third = s.realtime({ protocol });
      await assert.rejects(connectionState(third, 'connected'), (err: { reason?: Ably.ErrorInfo }) => err.reason?.code === 40111);
      const otherKey = s.realtime({ protocol, key: OTHER_APP_KEY });
      await connectionState(otherKey, 'connected');
    });
  });
}
