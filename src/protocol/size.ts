import type { Data } from './types.ts';

const dataSize = (data: Data | undefined): number =>
  data === undefined || data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

/**
 * Size of a message or presence message as Ably counts it against maxMessageSize: name + data + clientId + extras.
 */
export function messageSize(item: { name?: string; data?: Data; clientId?: string; extras?: unknown }): number {
  return (
    (item.name ? Buffer.byteLength(item.name) : 0) +
    dataSize(item.data) +
    (item.clientId ? Buffer.byteLength(item.clientId) : 0) +
    (item.extras ? Buffer.byteLength(JSON.stringify(item.extras)) : 0)
  );
}
