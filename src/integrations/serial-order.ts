import { parseSerial } from '../store/serial.ts';
import type { WebhookItem } from './webhook-item.ts';

/**
 * Puts the serial-bearing items of each channel (channel.message, channel.presence) into serial order within one
 * request, leaving every other item where it is. In a cluster, two nodes may queue items of one channel in the
 * opposite order of their serials; within a batch this repairs it, across batches receivers can use `serial`.
 */
export function orderBySerial(items: WebhookItem[]): WebhookItem[] {
  const slots = new Map<string, number[]>();
  items.forEach((item, i) => {
    const channel = item.data.channelId;
    if (item.serial === undefined || typeof channel !== 'string') return;
    const key = `${item.source}\0${channel}`;
    let list = slots.get(key);
    if (!list) slots.set(key, (list = []));
    list.push(i);
  });
  const out = [...items];
  for (const indices of slots.values()) {
    if (indices.length < 2) continue;
    const sorted = indices.map((i) => items[i] as WebhookItem).sort(bySerial);
    indices.forEach((at, k) => {
      out[at] = sorted[k] as WebhookItem;
    });
  }
  return out;
}

function bySerial(a: WebhookItem, b: WebhookItem): number {
  const x = parseSerial(a.serial);
  const y = parseSerial(b.serial);
  // Different epochs (a numbering was lost in between) cannot be compared: keep queue order.
  if (!x || !y || x.epoch !== y.epoch) return 0;
  return x.seq - y.seq;
}
