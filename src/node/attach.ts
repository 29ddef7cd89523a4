import { setImmediate } from 'node:timers/promises';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import { parseDerivedChannel } from '../channel/derived.ts';
import { grantModes, permittedModes } from '../channel/modes.ts';
import { parseChannelParams } from '../channel/params.ts';
import { rewindEvents } from '../channel/rewind.ts';
import { Attachment, type Connection } from '../connection/connection.ts';
import { DELTA_FORMAT, DeltaStream } from '../delta/delta-stream.ts';
import { ErrorInfo } from '../errors/index.ts';
import { honouredParams, wantsOccupancy } from '../occupancy/occupancy-param.ts';
import { Action, Flag, MODE_MASK, type ProtocolMessage } from '../protocol/index.ts';
import type { ChannelEvent } from '../store/broker.ts';
import { formatSerial, parseMessageSerial, parseSerial } from '../store/serial.ts';
import { deliverTo } from './deliver.ts';
import type { Node } from './node.ts';

/** Channel-level failures go back as a channel ERROR (the channel fails; the connection is unaffected). */
function channelError(conn: Connection, channel: string | undefined, err: unknown): void {
  conn.send({ action: Action.ERROR, channel, error: ErrorInfo.from(err).toWire() });
}

/**
 * ATTACH → ATTACHED (granted modes, HAS_PRESENCE, RESUMED), then SYNC when there are members, then missed
 * messages after the client's channelSerial when continuity holds, then live traffic (Ably §3.1, §3.4, §4.5).
 * Idempotent: a repeated ATTACH is answered the same way.
 */
export async function attach(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  try {
    await attachOrThrow(node, conn, message);
  } catch (err) {
    // A backend failure (cluster mode: Redis unreachable) fails this channel, not the connection, and leaves no
    // half-made attachment behind; the client may attach again later.
    const att = message.channel === undefined ? undefined : conn.attachments.get(message.channel);
    if (att && att.state === 'attaching') node.removeAttachment(att);
    channelError(conn, message.channel, err);
  }
}

async function attachOrThrow(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  // Refusals thrown here become a channel ERROR in `attach`, like backend failures further down.
  const name = validateChannelName(message.channel, node.config.maxChannelNameLength);
  const params = parseChannelParams(message.params, node.config.maxRewindMessages);
  const requestedModes = (params.modes ?? message.flags ?? 0) & MODE_MASK;
  const derived = parseDerivedChannel(name);
  let permitted = permittedModes(conn.identity.capability, name);
  // A derived channel reads its base channel: allowed by a grant on either name, and subscribe-only (Ably).
  if (derived) permitted = (permitted | permittedModes(conn.identity.capability, derived.base)) & Flag.SUBSCRIBE;
  const modes = grantModes(requestedModes, permitted);
  if (modes === 0) throw ErrorInfo.of('capabilityDenied', `no access to channel ${name}`);
  const occupancy = wantsOccupancy(message.params);
  if (!conn.attachments.has(name) && conn.attachments.size >= node.config.maxChannelsPerConnection) {
    throw ErrorInfo.of('tooManyChannels', `limit is ${node.config.maxChannelsPerConnection}`);
  }
  const key = channelKey(conn.identity.appId, derived?.base ?? name);
  let att = conn.attachments.get(name);
  if (!att) {
    att = new Attachment(conn, key, name);
    att.derived = derived;
    conn.attachments.set(name, att);
    if (node.channels.add(att)) await node.broker.subscribe(key);
  }
  att.state = 'attaching';
  att.modes = modes;
  att.requestedModes = requestedModes;
  att.pending = [];
  att.lastSeq = 0;
  node.occupancy.touch(key);
  att.held = undefined;
  // Every attach starts the deltas afresh (whole first): how the SDK recovers from a delta it cannot decode (RTL18).
  // A derived channel sends a filtered selection, which is no sequence to take deltas along.
  att.delta = params.delta === DELTA_FORMAT && !derived ? new DeltaStream() : undefined;
  att.latestOf = (serial) => node.messages.find(key, serial);

  const current = parseSerial(await node.broker.currentSerial(key));
  const requested = parseSerial(message.channelSerial);
  let replay: ChannelEvent[] | undefined;
  if (current && requested && requested.epoch === current.epoch && requested.seq <= current.seq) {
    replay = await node.history.messagesAfter(key, requested.seq);
  }
  // Rewind applies to a fresh attach only: a client resuming from a channelSerial gets what it missed instead, and
  // one re-attaching (ATTACH_RESUME, RTL4j) has seen the backlog already.
  const fresh = !message.channelSerial && !((message.flags ?? 0) & Flag.ATTACH_RESUME);
  const backlog =
    params.rewind && fresh
      ? await latestVersions(node, key, await rewindEvents(node.history, key, params.rewind, node.clock.now()))
      : [];
  // A client that resumes keeps what it had: its view of the channel's messages stays as it was (on another node,
  // where nothing is known of it, nothing is completed for it). Anyone else starts seeing the channel now.
  // Replayed events are delivered synchronously below, before the attach point is applied, so none may wait.
  if (!replay) {
    att.known.clear();
    att.viewSeq = current?.seq ?? 0;
  }
  const sync = modes & Flag.PRESENCE_SUBSCRIBE ? await node.presence.currentSync(key, name, node.config.syncPageSize) : [];
  if (conn.attachments.get(name) !== att || !conn.transport) return;

  let flags = modes;
  if (sync.length > 0) flags |= Flag.HAS_PRESENCE;
  if (replay) flags |= Flag.RESUMED;
  if (backlog.length > 0) flags |= Flag.HAS_BACKLOG;
  const attached: ProtocolMessage = {
    action: Action.ATTACHED,
    channel: name,
    flags,
    channelSerial: current ? formatSerial(current) : undefined,
  };
  // Our params (modes, rewind, delta) plus what the occupancy module honours; unrecognised ones are not echoed.
  const honoured = honouredParams(message.params, occupancy);
  if (honoured) attached.params = { ...params.echoed, ...honoured };
  if (message.channelSerial && !replay) attached.error = ErrorInfo.of('channelHistoryExpired').toWire();
  conn.send(attached);
  // Events that arrive meanwhile wait in att.pending (still attaching) and follow the SYNC.
  await sendSync(conn, sync);
  if (conn.attachments.get(name) !== att) return;

  // The client gets the rewound messages as of their latest version: later operations up to it are not sent again.
  for (const event of backlog) {
    for (const m of event.message.messages ?? []) {
      const seq = parseMessageSerial(m.version?.serial ?? m.serial)?.seq;
      if (m.serial !== undefined && seq !== undefined) att.known.set(m.serial, seq);
    }
  }

  const pending = att.pending;
  att.state = 'attached';
  att.pending = [];
  for (const event of replay ?? backlog) deliverTo(att, event);
  // The client is attached as of `current`: anything numbered up to it was replayed above or precedes the attach
  // (its presence effect is in the SYNC), including held or batched events that reach us late.
  att.lastSeq = Math.max(att.lastSeq, current?.seq ?? 0);
  for (const event of pending) deliverTo(att, event);
  if (occupancy) node.occupancy.listen(att);
  else node.occupancy.unlisten(att);
}

/**
 * Rewound events with each message at its latest version (an appended-to message arrives whole, as an update with
 * its text so far), so rewind shows what history shows.
 */
async function latestVersions(node: Node, key: string, events: ChannelEvent[]): Promise<ChannelEvent[]> {
  return Promise.all(
    events.map(async (event) => {
      const items = event.message.messages ?? [];
      const latest = await node.messages.latestOf(key, items);
      return latest.every((m, i) => m === items[i]) ? event : { ...event, message: { ...event.message, messages: latest } };
    }),
  );
}

/** DETACH → DETACHED; the connection's members on the channel leave at once (Ably §3.3). */
export async function detach(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  const name = message.channel;
  const att = name === undefined ? undefined : conn.attachments.get(name);
  if (att) {
    node.removeAttachment(att);
    // A derived channel shares its base channel's key but never holds members: leaving it leaves nothing.
    if (!att.derived) await node.presence.removeFromChannel(att.channel, conn.id);
  }
  conn.send({ action: Action.DETACHED, channel: name });
}

/** A client-requested SYNC (rare: RTP18 recovery paths) is answered with a full SYNC of the channel. */
export async function requestSync(node: Node, conn: Connection, message: ProtocolMessage): Promise<void> {
  const att = message.channel === undefined ? undefined : conn.attachments.get(message.channel);
  if (!att || !(att.modes & Flag.PRESENCE_SUBSCRIBE)) {
    return channelError(conn, message.channel, ErrorInfo.of('channelStateInvalid', 'not attached with presence_subscribe'));
  }
  const sync = await node.presence.currentSync(att.channel, att.name, node.config.syncPageSize);
  // With nobody present, one empty page still ends the client's sync.
  await sendSync(conn, sync.length > 0 ? sync : node.presence.syncPages(att.name, [], node.config.syncPageSize));
}

/** SYNC pages sent between which the event loop is given back: a 100k-member SYNC must not stall other clients. */
const PAGES_PER_TURN = 16;

/**
 * Sends SYNC pages (shared objects, cached for later joiners: encoded once per format), yielding to the event loop
 * every few pages.
 */
async function sendSync(conn: Connection, pages: readonly ProtocolMessage[]): Promise<void> {
  for (let i = 0; i < pages.length; i++) {
    if (i > 0 && i % PAGES_PER_TURN === 0) await setImmediate();
    conn.sendShared(pages[i] as ProtocolMessage);
  }
}
