import { type Data, toJsonData } from '../protocol/index.ts';
import type { RestRequest } from './context.ts';
import { respondsMsgpack } from './respond.ts';

/**
 * Messages and presence items as the requested format carries them. msgpack holds binary `data` as bin; JSON
 * cannot, so binary goes out as base64 with `base64` appended to `encoding`, exactly as realtime JSON clients
 * get it (Ably §4.9), and the SDK decodes it back to bytes.
 */
export function itemsForFormat<T extends { data?: Data; encoding?: string }>(r: RestRequest, items: T[]): T[] {
  if (respondsMsgpack(r.req, r.query)) return items;
  return items.map(toJsonData);
}
