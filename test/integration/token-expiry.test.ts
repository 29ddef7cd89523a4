import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as Ably from 'ably';
import { nextState } from '../helpers/auth.ts';
import { Collector, connectionState, PROTOCOLS, startServer, type TestServer } from '../helpers/server.ts';

// The liveness sweep (which also checks token expiry) runs every minHeartbeatInterval / 4.
const FAST_SWEEP = { minHeartbeatInterval: 200 };

/**
 * A member whose tokens live `ttl` ms, fetched through an authCallback (TokenRequests signed with the key), and an
 * observer with the key watching the channel's presence events.
 */
async function memberAndObserver(s: TestServer, protocol: 'json' | 'msgpack', ttl: number) {
  const signer = s.rest();
  const tokens = new Collector<Ably.TokenParams>();
  const member = s.realtime({
    protocol,
    key: undefined,
    authCallback: (params, cb) => {
      tokens.push(params);
      signer.auth.createTokenRequest({ clientId: 'alice', ttl }).then(
        (request) => cb(null, request),
        (err) => cb(err, null),
      );
    },
  });
  const observer = s.realtime({ protocol });
  const events = new Collector<Ably.PresenceMessage>();
  await observer.channels.get('room').presence.subscribe((m) => events.push(m));
  await member.channels.get('room').presence.enter('here');
  await events.until((items) => items.some((m) => m.action === 'enter'));
  return { member, observer, events, tokens, connectionId: member.connection.id };
}

for (const protocol of PROTOCOLS) {
  describe(`token expiry while connected (${protocol})`, () => {
    it('the server asks for re-auth (AUTH) before expiry; the SDK renews in band with no flicker', async (t) => {
      const s = await startServer(t, { ...FAST_SWEEP, tokenRenewLead: 1_000 });
      const { member, events, tokens, connectionId } = await memberAndObserver(s, protocol, 3_000);
      const updates = new Collector<Ably.ConnectionStateChange>();
      member.connection.on('update', (change) => updates.push(change));
      // Two renewals: each AUTH (1 s before expiry) is answered by a CONNECTED update on the same connection.
      await updates.count(2);
      assert.ok(tokens.items.length >= 3);
      assert.equal(member.connection.id, connectionId);
      assert.equal(member.connection.state, 'connected');
      assert.deepEqual(
        events.items.map((m) => m.action),
        ['enter'],
        'the observer saw only the first enter: no leave, no re-enter',
      );
      const members = await s.rest().channels.get('room').presence.get();
      assert.deepEqual(
        members.items.map((m) => m.clientId),
        ['alice'],
      );
      const conn = s.server.node.connections.get(connectionId as string);
      assert.ok(conn?.identity.expires !== undefined && conn.identity.expires > Date.now(), 'the server holds the new expiry');
    });

    it('a token not renewed in time gets DISCONNECTED 40142; the SDK renews and resumes, keeping presence', async (t) => {
      // tokenRenewLead 0: the server never asks, so the token runs out while connected.
      const s = await startServer(t, { ...FAST_SWEEP, tokenRenewLead: 0 });
      const { member, events, tokens, connectionId } = await memberAndObserver(s, protocol, 1_500);
      const disconnected = await nextState(member, 'disconnected');
      assert.equal(disconnected.reason?.code, 40142);
      await connectionState(member, 'connected');
      assert.equal(member.connection.id, connectionId, 'resumed: same connectionId');
      assert.ok(tokens.items.length >= 2, 'a new token was fetched through the authCallback');
      await member.channels.get('room').publish('after', 'renewal');
      assert.ok(
        events.items.every((m) => m.action !== 'leave'),
        'the observer never saw alice leave',
      );
      const members = await s.rest().channels.get('room').presence.get();
      assert.deepEqual(
        members.items.map((m) => m.clientId),
        ['alice'],
      );
    });
  });
}

for (const protocol of PROTOCOLS) {
  describe(`a token shorter than tokenRenewLead (${protocol})`, () => {
    it('is not asked to renew: a client holding only that token sees DISCONNECTED 40142 at expiry, not FAILED', async (t) => {
      const s = await startServer(t, { ...FAST_SWEEP, tokenRenewLead: 30_000 });
      const tokenDetails = await s.rest().auth.requestToken({ ttl: 1_500 });
      const client = s.realtime({ protocol, key: undefined, tokenDetails });
      await connectionState(client, 'connected');
      // The first change after connecting: FAILED (40171, asked to renew without the means) would show up here.
      const change = await new Promise<Ably.ConnectionStateChange>((resolve) => client.connection.once(resolve));
      assert.equal(change.current, 'disconnected', `${change.current}: ${change.reason?.message}`);
      assert.equal(change.reason?.code, 40142);
      assert.equal(change.reason?.statusCode, 401);
    });
  });
}
