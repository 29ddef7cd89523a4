import { ErrorCodes } from '../errors/codes.ts';
import type { Node } from '../node/node.ts';
import { Action, PresenceAction } from '../protocol/index.ts';
import type { Metrics } from './metrics.ts';
import { CodeTallies, type Tally, TallyFamily } from './metrics-tally.ts';

/** Why a connection's state was freed (`rollcall_connections_closed_total{reason}`). */
export type CloseReason = 'closed' | 'expired' | 'failed' | 'moved';
const CLOSE_REASONS: readonly CloseReason[] = ['closed', 'expired', 'failed', 'moved'];

/** Lower-case label values by code, for the `action` label: only the actions that can occur in that direction. */
const namesOf = <T extends Record<string, number>>(table: T, names: Array<keyof T & string>): Record<number, string> =>
  Object.fromEntries(names.map((name) => [table[name], name.toLowerCase()]));
const CLIENT_ACTIONS = namesOf(Action, [
  'HEARTBEAT',
  'DISCONNECT',
  'CLOSE',
  'ATTACH',
  'DETACH',
  'PRESENCE',
  'MESSAGE',
  'SYNC',
  'AUTH',
]);
const SERVER_ACTIONS = namesOf(Action, [
  'HEARTBEAT',
  'ACK',
  'NACK',
  'CONNECTED',
  'DISCONNECTED',
  'CLOSED',
  'ERROR',
  'ATTACHED',
  'DETACHED',
  'PRESENCE',
  'MESSAGE',
  'SYNC',
  'AUTH',
]);
const PRESENCE_EVENTS = namesOf(PresenceAction, ['ENTER', 'UPDATE', 'LEAVE']);

/**
 * Rollcall's own series, created once per server. The core holds this object and bumps its Tallies directly (a
 * property increment; by-action counts are an array index), so counting never looks up a label on the frame path.
 * Gauges (connections, channels, members) are read from the Node when scraped ({@link watchNode}).
 */
export class ServerMetrics {
  /** New connections (not resumes). */
  readonly connectionsOpened: Tally;
  readonly connectionsClosed: TallyFamily<CloseReason>;
  /** Transports that dropped without CLOSE (connection kept for resume, members for their grace period). */
  readonly transportsLost: Tally;
  /** Connection attempts refused (bad credentials, limits) by error code. */
  readonly connectionsRefused: TallyFamily<number>;
  readonly resumes: { success: Tally; failure: Tally };
  readonly received: CodeTallies;
  readonly sent: CodeTallies;
  readonly bytesReceived: Tally;
  readonly bytesSent: Tally;
  readonly syncPages: Tally;
  readonly acks: Tally;
  readonly nacks: TallyFamily<number>;
  readonly rateLimited: Tally;
  /** Members whose connection's grace period (remainPresentFor) ran out. */
  readonly graceLeaves: Tally;
  readonly presenceEvents: CodeTallies;

  constructor(readonly metrics: Metrics) {
    const m = metrics;
    this.connectionsOpened = m.counter('rollcall_connections_opened_total', 'Connections established (resumes not included).');
    this.connectionsClosed = m.counterFamily(
      'rollcall_connections_closed_total',
      'Connections whose state was freed, by reason: closed (client CLOSE), expired (not resumed within connectionStateTtl), failed (fatal error), moved (resumed on another node).',
      'reason',
      new TallyFamily(CLOSE_REASONS),
    );
    this.transportsLost = m.counter(
      'rollcall_transports_lost_total',
      'Transports that dropped without CLOSE; the connection is kept for resume.',
    );
    this.connectionsRefused = m.counterFamily(
      'rollcall_connections_refused_total',
      'Connection attempts refused, by Ably error code.',
      'code',
      new TallyFamily<number>(),
    );
    const resumes = m.counterFamily(
      'rollcall_resumes_total',
      'Resume attempts, by result (failure: a new connection was given instead).',
      'result',
      new TallyFamily(['success', 'failure']),
    );
    this.resumes = { success: resumes.get('success'), failure: resumes.get('failure') };
    this.received = m.counterFamily(
      'rollcall_messages_received_total',
      'ProtocolMessages received from clients, by action (other: an action clients do not send).',
      'action',
      new CodeTallies(CLIENT_ACTIONS),
    );
    this.sent = m.counterFamily(
      'rollcall_messages_sent_total',
      'ProtocolMessages sent to clients, by action (a fan-out counts once per recipient).',
      'action',
      new CodeTallies(SERVER_ACTIONS),
    );
    this.bytesReceived = m.counter('rollcall_received_bytes_total', 'Bytes of WebSocket frames received from clients.');
    this.bytesSent = m.counter('rollcall_sent_bytes_total', 'Bytes of WebSocket frames sent to clients.');
    this.syncPages = m.counter('rollcall_sync_pages_sent_total', 'Presence SYNC pages sent.');
    this.acks = m.counter('rollcall_acks_total', 'ACKs sent (one per acknowledged msgSerial).');
    this.nacks = m.counterFamily('rollcall_nacks_total', 'NACKs sent, by Ably error code.', 'code', new TallyFamily<number>());
    this.rateLimited = m.counter(
      'rollcall_rate_limited_total',
      `Operations refused for exceeding maxInboundRate (error ${ErrorCodes.rateLimited.code}).`,
    );
    this.graceLeaves = m.counter(
      'rollcall_grace_period_leaves_total',
      'Members that left because their connection was not resumed within remainPresentFor.',
    );
    this.presenceEvents = m.counterFamily(
      'rollcall_presence_events_total',
      'Presence changes broadcast by this node, by action.',
      'action',
      new CodeTallies(PRESENCE_EVENTS),
    );
  }

  /** The last text frame counted and its UTF-8 length: a fan-out sends one shared string to every subscriber. */
  private lastText = '';
  private lastTextBytes = 0;

  /** A frame went out: counted by action, bytes by length (UTF-8 for text frames). */
  countSent(action: number, frame: Buffer | string): void {
    this.sent.inc(action);
    if (typeof frame !== 'string') {
      this.bytesSent.value += frame.length;
      return;
    }
    // Measuring UTF-8 length walks the string; a fan-out's later recipients reuse the first one's measure.
    if (frame !== this.lastText) {
      this.lastText = frame;
      this.lastTextBytes = Buffer.byteLength(frame);
    }
    this.bytesSent.value += this.lastTextBytes;
  }
}

/** Registers the gauges read from the node when scraped. */
export function watchNode(m: Metrics, node: Node): void {
  m.gauge(
    'rollcall_connections',
    'Connections on this node: connected, or disconnected and kept for resume.',
    () => {
      let connected = 0;
      let disconnected = 0;
      for (const conn of node.connections.values()) {
        if (conn.state === 'connected') connected++;
        else if (conn.state === 'disconnected') disconnected++;
      }
      return { connected, disconnected };
    },
    'state',
  );
  m.gauge('rollcall_channels_active', 'Channels with at least one attachment on this node.', () => node.channels.size);
  m.gauge(
    'rollcall_presence_members',
    'Presence members on the channels active on this node (in cluster mode a channel served by several nodes is counted by each).',
    async () => {
      try {
        const counts = await Promise.all([...node.channels.channels()].map((key) => node.presence.store.count(key)));
        return counts.reduce((a, b) => a + b, 0);
      } catch {
        // Cluster mode with Redis unreachable: the rest of the scrape (rollcall_redis_up among it) still answers.
        return Number.NaN;
      }
    },
  );
}
