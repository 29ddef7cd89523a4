import type { Clock } from '../time/clock.ts';

export interface RetryPolicy {
  /** First delay, doubled per failure up to `max`, ms. */
  base: number;
  max: number;
  /** Gives up (rethrowing the last error) once this long has passed since the first attempt, ms. */
  horizon: number;
}

/**
 * Runs `attempt` until it resolves, waiting base × 2ⁿ (capped) on the injected Clock between failures: how the
 * tracker and the dispatcher ride out a Redis outage. Only for idempotent operations.
 */
export async function retrying<T>(clock: Clock, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  const start = clock.now();
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (err) {
      const delay = Math.min(policy.max, policy.base * 2 ** Math.min(failures, 30));
      if (clock.now() + delay - start > policy.horizon) throw err;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
}
