import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import { withData, withVersionSerial } from '../../messages/fold.ts';
import type { MessageChange, MessageHead, MessageStore } from '../../messages/message-store.ts';
import type { Data, Message } from '../../protocol/index.ts';
import { messageSerial } from '../serial.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const applyScript = new LuaScript('message-apply', ['message-apply']);

export interface RedisMessageStoreOptions {
  /** How long an operated-on message is kept after its last operation, ms (history's age limit). */
  ttl: number;
}

const bytes = (data: Data | undefined): Buffer | string => (data === undefined || data === null ? '' : data);

/**
 * Operated-on messages in Redis, shared by every node: per channel one hash of heads (serial → latest version
 * without data), and per message its data (a string APPENDed to by appends) and its operations (a list). All keys
 * of a channel share its hash slot, so each operation is one atomic script (Redis Cluster safe), and the broker's
 * publish script records the operations it numbers in the same step (applyArgs): they are recorded in the order of
 * their serials. Each caller computes the head from the one it read, so the head's metadata follows the last one.
 * Heads and operations are stored as `<event serial>\n<msgpack>` (lib/message-apply.lua): recorded by the publish
 * script, the version serial is made from the event's when read (empty when recorded by `apply`).
 * Cannot: answer while Redis is unreachable (50300).
 */
export class RedisMessageStore implements MessageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisMessageStoreOptions,
  ) {}

  async head(channel: string, serial: string): Promise<MessageHead | undefined> {
    const raw = await guard(this.redis.hgetBuffer(this.keys.messageHeads(channel), serial));
    return raw ? unpackHead(raw) : undefined;
  }

  async apply(channel: string, change: MessageChange): Promise<void> {
    const { keys, args } = this.applyArgs(channel, change);
    await guard(applyScript.run(this.redis, keys, args));
  }

  /**
   * Keys and arguments of message-apply.lua for `change` on `channel`, also for the broker's publish script to
   * record the operation in the step that numbers it (RedisBroker), which adds the event serial.
   */
  applyArgs(channel: string, change: MessageChange): { keys: string[]; args: Array<string | number | Buffer> } {
    const k = this.keys;
    return {
      keys: [k.messageHeads(channel), k.messageData(channel, change.serial), k.messageOperations(channel, change.serial)],
      args: [
        change.serial,
        packValue(change.next),
        change.mode,
        bytes(change.data),
        change.seed ? '1' : '0',
        bytes(change.seed?.data),
        packValue(change.op),
        this.options.ttl,
      ],
    };
  }

  async latest(channel: string, serials: string[]): Promise<Map<string, Message>> {
    const out = new Map<string, Message>();
    if (serials.length === 0) return out;
    // Heads and data in one transaction, so a concurrent append never shows in one and not the other. One slot
    // (the channel's hash tag), so this works on Redis Cluster too.
    const replies = await guard(
      this.redis
        .multi()
        .hmgetBuffer(this.keys.messageHeads(channel), ...serials)
        .mgetBuffer(...serials.map((serial) => this.keys.messageData(channel, serial)))
        .exec(),
    );
    const [heads, data] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value as Array<Buffer | null>;
    }) as [Array<Buffer | null>, Array<Buffer | null>];
    heads.forEach((raw, i) => {
      if (raw) out.set(serials[i] as string, withData(unpackHead(raw), data[i]));
    });
    return out;
  }

  async operations(channel: string, serial: string): Promise<Message[]> {
    const raw = await guard(this.redis.lrangeBuffer(this.keys.messageOperations(channel, serial), 0, -1));
    return raw.map((entry) => {
      const { value, version } = unpackStored<Message>(entry);
      return version === undefined ? value : withVersionSerial(value, version);
    });
  }
}

function unpackHead(raw: Buffer): MessageHead {
  const { value, version } = unpackStored<MessageHead>(raw);
  return version === undefined ? value : { ...value, message: withVersionSerial(value.message, version) };
}

/**
 * `<event serial>\n<msgpack>` → the value and its version serial (the operation is its event's first item). Bare
 * msgpack, as stored before the event serial was, has no version serial to add: it starts with a map's byte
 * (≥ 0x80), a serial with an ASCII digit.
 */
function unpackStored<T>(raw: Buffer): { value: T; version?: string } {
  const nl = raw.indexOf(10);
  if ((raw[0] ?? 0x80) >= 0x80 || nl < 0) return { value: unpackValue<T>(raw) };
  const value = unpackValue<T>(raw.subarray(nl + 1));
  // No event serial (recorded by `apply`, numbered before): the value carries its version serial itself.
  return nl === 0 ? { value } : { value, version: messageSerial(raw.subarray(0, nl).toString(), 0) };
}
