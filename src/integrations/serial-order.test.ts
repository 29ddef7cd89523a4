import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderBySerial } from './serial-order.ts';
import type { WebhookItem } from './webhook-item.ts';

const item = (
  id: string,
  channelId: string,
  serial?: string,
  source: WebhookItem['source'] = 'channel.message',
): WebhookItem => ({
  webhookId: 'w',
  source,
  id,
  serial,
  timestamp: 0,
  name: source,
  data: { channelId },
});

test("each channel's items follow their serials; other channels and unserialed items keep their places", () => {
  const items = [
    item('a7', 'a', 'e-7'),
    item('t', 'a', undefined, 'client.presence'),
    item('b2', 'b', 'e-2'),
    item('a5', 'a', 'e-5'),
    item('b1', 'b', 'e-1'),
    item('a6', 'a', 'e-6'),
    item('p9', 'a', 'e-9', 'channel.presence'),
  ];
  assert.deepEqual(
    orderBySerial(items).map((i) => i.id),
    ['a5', 't', 'b1', 'a6', 'b2', 'a7', 'p9'],
  );
});

test('serials of different epochs keep their queue order', () => {
  const items = [item('new', 'a', 'f-1'), item('old', 'a', 'e-9')];
  assert.deepEqual(
    orderBySerial(items).map((i) => i.id),
    ['new', 'old'],
  );
});
