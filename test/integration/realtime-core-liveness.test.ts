import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as Ably from 'ably';
import { Collector, connectionState, PROTOCOLS, startServer } from '../helpers/server.ts';

/** The parts of the SDK's active transport these tests listen to: its ws socket (pings) and HEARTBEAT events. */
interface TransportInternals {
  wsConnection: { on(event: 'ping', fn: () => void): void };
  on(event: 'heartbeat', fn: (id?: string) => void): void;
}

function activeTransport(client: Ably.Realtime): TransportInternals {
  const manager = (
    client.connection as unknown as { connectionManager: { activeProtocol: { getTransport(): TransportInternals } } }
  ).connectionManager;
  return manager.activeProtocol.getTransport();
}

const maxIdleInterval = (client: Ably.Realtime): number =>
  (client.connection as unknown as { connectionManager: { connectionDetails: { maxIdleInterval: number } } }).connectionManager
    .connectionDetails.maxIdleInterval;

// Shrunk timings: the server probes every 200 ms and the SDK gives up after 200 + 700 + 100 = 1 s of silence. The
// request timeout leaves room for a busy test machine stalling either process for a few hundred ms.
const SERVER = { minHeartbeatInterval: 100, heartbeatMargin: 300 };
const HEARTBEAT_INTERVAL = 200;
const REQUEST_TIMEOUT = 700;
const IDLE_WINDOW = HEARTBEAT_INTERVAL + REQUEST_TIMEOUT + 100;
/** Probes to wait for: spans over three of the SDK's idle windows. */
const PROBES = 18;

for (const protocol of PROTOCOLS) {
  describe(`liveness (${protocol})`, () => {
    for (const heartbeats of [false, true]) {
      const kind = heartbeats ? 'HEARTBEAT frames (heartbeats=true)' : 'WebSocket pings (heartbeats=false)';
      test(`an idle client stays connected past maxIdleInterval + realtimeRequestTimeout, kept alive by ${kind}`, async (t) => {
        const s = await startServer(t, SERVER);
        const transportParams: Record<string, string | number | boolean> = { heartbeatInterval: HEARTBEAT_INTERVAL };
        if (heartbeats) transportParams.heartbeats = true;
        const client = s.realtime({ protocol, transportParams, realtimeRequestTimeout: REQUEST_TIMEOUT });
        await connectionState(client, 'connected');
        assert.equal(maxIdleInterval(client), HEARTBEAT_INTERVAL);
        const id = client.connection.id;
        const serverConn = s.server.node.connections.get(id as string);
        assert.equal(serverConn?.options.heartbeats, heartbeats);

        // Either enough probes arrive (pass) or the SDK's idle timer fires first and the state changes (fail).
        const events = new Collector<string>();
        client.connection.on((change) => events.push(`state ${change.current}`));
        const transport = activeTransport(client);
        if (heartbeats) transport.on('heartbeat', (hbId) => hbId === undefined && events.push('probe'));
        else transport.wsConnection.on('ping', () => events.push('probe'));
        const started = performance.now();
        await events.until((items) => items.some((e) => e.startsWith('state')) || items.length >= PROBES);

        assert.deepEqual(
          events.items.filter((e) => e.startsWith('state')),
          [],
        );
        assert.ok(performance.now() - started > 3 * IDLE_WINDOW, 'waited over three idle windows');
        assert.equal(client.connection.state, 'connected');
        assert.equal(client.connection.id, id);
        assert.ok(serverConn?.transport, 'the server still holds the transport');
      });
    }

    for (const heartbeats of [false, true]) {
      test(`connection.ping() resolves with heartbeats=${heartbeats}`, async (t) => {
        const s = await startServer(t);
        // A short request timeout only so the SDK's ping timer does not hold the test process open for 10 s.
        const client = s.realtime({
          protocol,
          transportParams: heartbeats ? { heartbeats: true } : {},
          realtimeRequestTimeout: 2000,
        });
        await connectionState(client, 'connected');
        const rtt = await client.connection.ping();
        assert.equal(typeof rtt, 'number');
        assert.ok(rtt >= 0);
        assert.equal(typeof (await client.connection.ping()), 'number');
      });
    }
  });
}
