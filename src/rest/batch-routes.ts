import type { Operation } from '../auth/capability.ts';
import { allows } from '../auth/capability.ts';
import { channelKey, validateChannelName } from '../channel/channel-name.ts';
import { ErrorInfo, type WireError } from '../errors/index.ts';
import { PresenceAction, type PresenceMessage } from '../protocol/index.ts';
import { type AuthedRequest, authed, type ChannelRequest, type RestRequest } from './context.ts';
import { decodeMessages, publishDecoded } from './publish-route.ts';
import { readBody } from './read-body.ts';
import { sendBody } from './respond.ts';
import { itemsForFormat } from './wire-items.ts';

type ChannelOutcome<T> = ({ channel: string } & T) | { channel: string; error: WireError };

/** One channel of a batch: its own name check and capability, so one refusal does not fail the others. */
function channelOf(a: AuthedRequest, name: unknown, op: Operation): ChannelRequest {
  if (typeof name !== 'string') throw ErrorInfo.of('invalidChannelName', 'channel names must be strings');
  const valid = validateChannelName(name, a.node.config.maxChannelNameLength);
  if (!allows(a.identity.capability, valid, op)) throw ErrorInfo.of('capabilityDenied', `${op} on channel ${valid}`);
  return { ...a, name: valid, key: channelKey(a.identity.appId, valid) };
}

async function perChannel<T>(channel: unknown, run: () => Promise<T>): Promise<ChannelOutcome<T>> {
  try {
    return { channel: String(channel), ...(await run()) };
  } catch (err) {
    return { channel: String(channel), error: ErrorInfo.from(err).toWire() };
  }
}

const counts = <T>(results: ChannelOutcome<T>[]) => ({
  successCount: results.filter((x) => !('error' in x)).length,
  failureCount: results.filter((x) => 'error' in x).length,
  results,
});

/**
 * `POST /messages` (batch publish, RSC22): a spec `{channels, messages}` or a list of them. Each channel is
 * published (or refused) on its own. A list answers one `{successCount, failureCount, results}` per spec (what
 * `rest.batchPublish` reads); a single spec answers its flat list of channel results, as Ably does.
 */
export async function postBatchMessages(r: RestRequest): Promise<void> {
  const a = await authed(r);
  const body = await readBody(r.req, r.node.config.maxFrameSize);
  const msgpack = (r.req.headers['content-type'] ?? '').includes('msgpack');
  const specs = Array.isArray(body) ? body : [body];
  const answers = [];
  for (const spec of specs) {
    if (typeof spec !== 'object' || spec === null || !Array.isArray((spec as { channels?: unknown }).channels)) {
      throw ErrorInfo.of('invalidRequestBody', 'each batch spec needs channels (a list) and messages');
    }
    const { channels, messages } = spec as { channels: unknown[]; messages: unknown };
    const decoded = decodeMessages(messages, msgpack);
    const results = [];
    for (const name of channels) {
      results.push(
        await perChannel(name, async () => {
          const { messageId, serials } = await publishDecoded(channelOf(a, name, 'publish'), decoded);
          return { messageId, serials };
        }),
      );
    }
    answers.push(results);
  }
  sendBody(r.req, r.res, r.query, 201, Array.isArray(body) ? answers.map(counts) : (answers[0] ?? []));
}

/** `GET /presence?channels=a,b` (batch presence, RSC24): each channel's members, or why it was refused. */
export async function getBatchPresence(r: RestRequest): Promise<void> {
  const a = await authed(r);
  const names = (r.query.get('channels') ?? '').split(',').filter((n) => n !== '');
  if (names.length === 0) throw ErrorInfo.of('invalidParameter', 'channels must name at least one channel');
  const results = [];
  for (const name of names) {
    results.push(
      await perChannel(name, async () => {
        const c = channelOf(a, name, 'subscribe');
        const members = await c.node.presence.store.members(c.key);
        const presence: PresenceMessage[] = members
          .sort((x, y) => x.timestamp - y.timestamp)
          .map((m) => ({ ...m, action: PresenceAction.PRESENT }));
        return { presence: itemsForFormat(r, presence) };
      }),
    );
  }
  sendBody(r.req, r.res, r.query, 200, counts(results));
}
