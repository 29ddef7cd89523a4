import type { EventEmitter } from 'node:events';
import type { ConnectionLifecycle } from '../node/node.ts';
import type { Logger } from './logger.ts';

/**
 * One debug record per connection lifecycle step (`connection opened`, `resumed`, `refused`, `disconnected`,
 * `closed`, with its reason). Subscribes only when debug is on, so the default level costs nothing per connection.
 */
export function logConnectionLifecycle(events: EventEmitter, logger: Logger): void {
  if (!logger.isLevelEnabled('debug')) return;
  events.on('connection', (event: ConnectionLifecycle) => {
    const { phase, ...fields } = event;
    logger.debug(fields, `connection ${phase}`);
  });
}
