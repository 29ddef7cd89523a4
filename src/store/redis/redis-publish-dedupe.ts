import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../time/clock.ts';
import { DEDUPE_WINDOW, type PublishDedupe } from '../publish-dedupe.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const release = new LuaScript('dedupe-release');

export interface RedisPublishDedupeOptions {
  /** How long a result is remembered, ms. */
  window?: number;
  /** How long a claim holds while its publish runs, ms: a node that died mid-publish blocks a retry no longer. */
  claimTtl?: number;
  /** Longest pause between looks at a claim another node holds, ms. */
  maxPoll?: number;
}

/**
 * Publishes remembered in Redis, so a retry that reaches another node of the cluster is answered with the first
 * result. One string key per publish: `SET NX` claims it (the claimant publishes), the result replaces the claim
 * with the window as its TTL, and a failed publish deletes its claim. A duplicate that finds a claim waits for the
 * result, looking again with a growing pause on the Clock (a publish takes milliseconds; no subscription needed).
 * Duplicates on this node share one promise and never ask Redis twice. Cannot: tell a publish that completed on a
 * node that then died before storing its result from one that never ran (the retry is published again after
 * `claimTtl`). While Redis is unreachable a publish with client ids fails with 50300, like any publish.
 */
export class RedisPublishDedupe implements PublishDedupe {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly window: number;
  private readonly claimTtl: number;
  private readonly maxPoll: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
    options: RedisPublishDedupeOptions = {},
  ) {
    this.window = options.window ?? DEDUPE_WINDOW;
    this.claimTtl = options.claimTtl ?? 10_000;
    this.maxPoll = options.maxPoll ?? 50;
  }

  once<R>(key: string, publish: () => Promise<R>): Promise<R> {
    const known = this.inflight.get(key);
    if (known) return known as Promise<R>;
    const result = this.claimOrWait(this.keys.publishDedupe(createHash('sha256').update(key).digest('base64url')), publish);
    this.inflight.set(key, result);
    const forget = () => {
      if (this.inflight.get(key) === result) this.inflight.delete(key);
    };
    result.then(forget, forget);
    return result;
  }

  private async claimOrWait<R>(rkey: string, publish: () => Promise<R>): Promise<R> {
    const token = `p${randomBytes(9).toString('base64url')}`;
    let pause = 1;
    for (;;) {
      if ((await guard(this.redis.set(rkey, token, 'PX', this.claimTtl, 'NX'))) === 'OK') {
        let result: R;
        try {
          result = await publish();
        } catch (err) {
          await release.run(this.redis, [rkey], [token]).catch(() => undefined);
          throw err;
        }
        // Published: a failure to remember it is not the publish's failure (a retry may then publish again).
        await this.redis.set(rkey, `r${JSON.stringify(result)}`, 'PX', this.window).catch(() => undefined);
        return result;
      }
      const value = await guard(this.redis.get(rkey));
      if (value?.startsWith('r')) return JSON.parse(value.slice(1)) as R;
      // Claimed and still publishing: look again shortly. Gone: that publish failed (or its claim expired); claim it.
      if (value !== null) {
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, pause));
        pause = Math.min(pause * 2, this.maxPoll);
      }
    }
  }
}
