import { packValue, unpackValue } from '../../cluster/cluster-message.ts';
import { ErrorInfo } from '../../errors/index.ts';
import type { Annotated, AnnotationPage, AnnotationStore, SummaryFold } from '../../messages/annotation-store.ts';
import type { SummaryState } from '../../messages/summary.ts';
import type { Annotation } from '../../protocol/index.ts';
import { parseMessageSerial } from '../serial.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const listScript = new LuaScript('annotation-list', ['annotation-list']);
const pendingScript = new LuaScript('annotation-pending');
const recordScript = new LuaScript('annotation-record');

/** Most listed annotations one fold reads; more are folded by the next round of the same call. */
const FOLD_BATCH = 500;

/** Folds retried before giving up; each retry means another node recorded an annotation of the same message. */
const MAX_ATTEMPTS = 50;

export interface RedisAnnotationStoreOptions {
  /** How long a message's annotations are kept after its last one, ms (history's age limit). */
  ttl: number;
}

/**
 * Annotations and summary states in Redis, shared by every node: per channel a hash of summary states and one of
 * fold records (`<version> <serial of the last annotation folded>`), per message a sorted set of its annotations
 * (members start with the annotation's serial, so the set is in serial order). The broker's publish script lists an
 * annotation in the step that numbers it (`listArgs`, lib/annotation-list.lua). A fold reads the state, its record
 * and the annotations listed after it in one script, folds them in TypeScript and writes the state back by another
 * only if no other fold came in between, else folds again: each annotation is applied exactly once, in serial
 * order, whichever node folds it. All keys of a channel share its hash slot (Redis Cluster safe).
 * Cannot: answer while Redis is unreachable (50300).
 */
export class RedisAnnotationStore implements AnnotationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisAnnotationStoreOptions,
  ) {}

  async add(channel: string, annotation: Annotation): Promise<void> {
    const { keys, args } = this.listArgs(channel, annotation);
    await guard(listScript.run(this.redis, keys, [annotation.serial ?? '', ...args]));
  }

  /**
   * Keys and arguments of lib/annotation-list.lua for `annotation` (its serial left out: the publish script makes it
   * from the event's), for the broker's publish script to list it in the step that numbers it (RedisBroker).
   */
  listArgs(channel: string, annotation: Annotation): { keys: string[]; args: Array<string | number | Buffer> } {
    const { serial: _serial, ...rest } = annotation;
    return {
      keys: [this.keys.annotations(channel, annotation.messageSerial ?? '')],
      args: [packValue(rest), this.options.ttl],
    };
  }

  async annotate(channel: string, messageSerial: string, fold: SummaryFold): Promise<Annotated> {
    const k = this.keys;
    let result: Annotated | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [raw, record, listed] = await this.pending(channel, messageSerial);
      if (listed.length === 0) return result ?? { version: Number.parseInt(record, 10) };
      let state = raw ? unpackValue<SummaryState>(raw) : undefined;
      let changed = false;
      for (const a of listed) {
        const next = fold(state, a);
        if (next) [state, changed] = [next, true];
      }
      const last = listed.at(-1)?.serial ?? '';
      const reply = Number(
        await guard(
          recordScript.run(
            this.redis,
            [k.annotationSummaries(channel), k.annotationVersions(channel)],
            [
              messageSerial,
              record,
              changed && state ? packValue(state) : '',
              last,
              this.options.ttl,
              parseMessageSerial(last)?.seq ?? 0,
            ],
          ),
        ),
      );
      if (reply < 0) continue;
      result = { state: changed || result?.state ? state : undefined, version: reply };
      // A full batch may leave more listed: fold on (no retry is spent on it).
      if (listed.length < FOLD_BATCH) return result;
      attempt--;
    }
    throw ErrorInfo.of('unavailable', `annotations of ${messageSerial} kept changing; try again`);
  }

  async summaries(channel: string, serials: string[]): Promise<Map<string, SummaryState>> {
    const out = new Map<string, SummaryState>();
    if (serials.length === 0) return out;
    const raw = await guard(this.redis.hmgetBuffer(this.keys.annotationSummaries(channel), ...serials));
    raw.forEach((value, i) => {
      if (value) out.set(serials[i] as string, unpackValue<SummaryState>(value));
    });
    return out;
  }

  async list(channel: string, messageSerial: string, limit: number, cursor?: string): Promise<AnnotationPage> {
    const from = cursor === undefined ? 0 : Number(cursor);
    // One more than asked for tells whether there is a next page.
    const raw = await guard(
      this.redis.zrangeBuffer(this.keys.annotations(channel, messageSerial), String(from), String(from + limit)),
    );
    const items = raw.slice(0, limit).map(unpackEntry);
    return { items, next: raw.length > limit ? String(from + limit) : undefined };
  }

  /** The message's summary state, its fold record, and the annotations listed after its last fold, read together. */
  private async pending(channel: string, messageSerial: string): Promise<[Buffer | null, string, Annotation[]]> {
    const k = this.keys;
    const reply = (await guard(
      pendingScript.run(
        this.redis,
        [k.annotationSummaries(channel), k.annotationVersions(channel), k.annotations(channel, messageSerial)],
        [messageSerial, FOLD_BATCH],
      ),
    )) as Buffer[];
    const [state, record, ...listed] = reply;
    return [state && state.length > 0 ? state : null, String(record ?? '0'), listed.map(unpackEntry)];
  }
}

/** An annotation from its list member `<serial>\0<msgpack>` (the serial is kept only in the prefix). */
function unpackEntry(member: Buffer): Annotation {
  const nul = member.indexOf(0x00);
  return { ...unpackValue<Annotation>(member.subarray(nul + 1)), serial: member.subarray(0, nul).toString() };
}
