import { Connection } from '../src/connection/connection.ts';
import type { Transport } from '../src/connection/transport.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { ServerMetrics } from '../src/observability/metrics-server.ts';
import { Action, codecFor, type ProtocolMessage } from '../src/protocol/index.ts';
import { systemClock } from '../src/time/clock.ts';
import type { Format } from './light-client.ts';

const CONNECTIONS = 1000;
const MESSAGES = 300;
const TRIES = 7;

/** A transport that accepts frames and does nothing, so only Rollcall's own per-frame work is timed. */
const nullTransport: Transport = { send() {}, close() {}, terminate() {}, ping() {}, bufferedAmount: 0 };

/** Nanoseconds per `sendShared` (one fan-out delivery) to CONNECTIONS connections, best of TRIES. */
function nsPerDelivery(format: Format, metrics: ServerMetrics | undefined): number {
  const codec = codecFor(format);
  if (!codec) throw new Error(`no codec ${format}`);
  const identity = { appId: 'bench', keyName: 'bench.k', clientId: null, capability: { '*': ['*'] }, viaKey: true };
  const options = { codec, echo: true, heartbeats: false, heartbeatInterval: 15_000, remainPresentFor: 15_000 };
  const conns = Array.from(
    { length: CONNECTIONS },
    (_, i) => new Connection(`c${i}`, `k${i}`, identity, options, nullTransport, 100, systemClock, Infinity, metrics),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let t = 0; t < TRIES; t++) {
    // Fresh message objects, so each is encoded once (as in a real fan-out) and then shared by every connection.
    const messages: ProtocolMessage[] = Array.from({ length: MESSAGES }, (_, i) => ({
      action: Action.MESSAGE,
      channel: 'fan',
      id: `m${t}:${i}`,
      messages: [{ name: 'n', data: 'x'.repeat(100) }],
    }));
    const start = process.hrtime.bigint();
    for (const message of messages) for (const conn of conns) conn.sendShared(message);
    const ns = Number(process.hrtime.bigint() - start) / (MESSAGES * CONNECTIONS);
    best = Math.min(best, ns);
  }
  return best;
}

/**
 * The per-delivery cost of counting, in process and without sockets: `Connection.sendShared` to 1,000 connections
 * with metrics off and on, interleaved, best of several tries. What is left is Rollcall's own work per delivery
 * (cached encode lookup, transport call, buffer check) plus, when on, the by-action count and the byte count.
 */
export function hotPathCost(format: Format): { offNs: number; onNs: number } {
  const on = new ServerMetrics(new Metrics());
  let offNs = Number.POSITIVE_INFINITY;
  let onNs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    offNs = Math.min(offNs, nsPerDelivery(format, undefined));
    onNs = Math.min(onNs, nsPerDelivery(format, on));
  }
  return { offNs, onNs };
}
