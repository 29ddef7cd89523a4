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

const recordScript = new LuaScript('annotation-record');

/** Folds retried before giving up; each retry means another node recorded an annotation of the same message. */
const MAX_ATTEMPTS = 50;

export interface RedisAnnotationStoreOptions {
  /** How long a message's annotations are kept after its last one, ms (history's age limit). */
  ttl: number;
}

/**
 * Annotations and summary states in Redis, shared by every node: per channel a hash of summary states and one of
 * versions, per message a sorted set of its annotations (members start with the annotation's serial, so the set is
 * in serial order). The summary is folded in TypeScript from the state read and written back by one script only if
 * no other annotation of the message came in between, else folded again: each annotation is applied to the summary
 * exactly once whichever node records it. All keys of a channel share its hash slot (Redis Cluster safe).
 * Cannot: answer while Redis is unreachable (50300).
 */
export class RedisAnnotationStore implements AnnotationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: RedisAnnotationStoreOptions,
  ) {}

  async annotate(channel: string, messageSerial: string, annotation: Annotation, fold: SummaryFold): Promise<Annotated> {
    const k = this.keys;
    const floor = parseMessageSerial(annotation.serial)?.seq ?? 0;
    const entry = Buffer.concat([Buffer.from(`${annotation.serial ?? ''}\0`), packValue(annotation)]);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [raw, read] = await this.read(channel, messageSerial);
      const state = fold(raw ? unpackValue<SummaryState>(raw) : undefined);
      const reply = Number(
        await guard(
          recordScript.run(
            this.redis,
            [k.annotationSummaries(channel), k.annotationVersions(channel), k.annotations(channel, messageSerial)],
            [messageSerial, read, state ? packValue(state) : '', entry, this.options.ttl, floor],
          ),
        ),
      );
      if (reply >= 0) return { state, version: reply };
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
    const items = raw.slice(0, limit).map((member) => unpackValue<Annotation>(member.subarray(member.indexOf(0x00) + 1)));
    return { items, next: raw.length > limit ? String(from + limit) : undefined };
  }

  /** The message's summary state and its version, read together. */
  private async read(channel: string, messageSerial: string): Promise<[Buffer | null, string]> {
    const replies = await guard(
      this.redis
        .multi()
        .hgetBuffer(this.keys.annotationSummaries(channel), messageSerial)
        .hget(this.keys.annotationVersions(channel), messageSerial)
        .exec(),
    );
    const [state, version] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return [(state as Buffer | null) ?? null, (version as string | null) ?? '0'];
  }
}
