/** How long a client-supplied message id is remembered, ms (Ably promises at least two minutes). */
export const DEDUPE_WINDOW = 2 * 60 * 1000;

/**
 * Remembers publishes that carried client-supplied message ids (Ably RSL1k, RTL6: the SDK's idempotent REST and
 * realtime publishing, or an application's own retry), so the same ids are applied once within the window and a
 * repeat is answered with the first publish's result. Realtime and REST both use it, with keys of their own.
 */
export interface PublishDedupe {
  /**
   * Runs `publish` unless `key` was published within the window; then resolves with that publish's result. A
   * concurrent duplicate waits for the first. A failed publish is forgotten, so a retry can succeed. Results must
   * be plain JSON values (a shared backend stores them).
   */
  once<R>(key: string, publish: () => Promise<R>): Promise<R>;
}
