import type { WebhookItem } from './webhook-item.ts';
import { signWebhookBody } from './webhook-signature.ts';
import type { WebhookTarget } from './webhook-target.ts';

/** Version of Ably's webhook format the bodies follow. */
export const WEBHOOK_FORMAT_VERSION = '1.2';

export interface WebhookRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * The request for one batch (enveloped: `{items}` when batched, the one item when not) or for one item
 * (not enveloped: its `data` as the body, envelope fields as `X-Ably-Envelope-*` headers). Signed when the webhook
 * names a key: X-Ably-Key is the key's name and X-Ably-Signature the HMAC of exactly these body bytes.
 */
export function buildRequest(target: WebhookTarget, items: WebhookItem[]): WebhookRequest {
  const headers: Record<string, string> = {
    ...target.headers,
    'content-type': 'application/json',
    'x-ably-version': WEBHOOK_FORMAT_VERSION,
  };
  let payload: unknown;
  if (!target.enveloped) {
    const item = items[0] as WebhookItem;
    payload = item.data;
    headers['x-ably-envelope-webhook-id'] = item.webhookId;
    headers['x-ably-envelope-source'] = item.source;
    headers['x-ably-envelope-name'] = item.name;
    headers['x-ably-envelope-id'] = item.id;
    const channel = item.data.channelId ?? item.data.channel;
    if (typeof channel === 'string') headers['x-ably-envelope-channel'] = channel;
  } else {
    payload = target.batched ? { items } : items[0];
  }
  const body = Buffer.from(JSON.stringify(payload));
  if (target.signing) {
    headers['x-ably-key'] = target.signing.keyName;
    headers['x-ably-signature'] = signWebhookBody(body, target.signing.secret);
  }
  return { body, headers };
}

/** How many queued items one request carries. */
export const itemsPerRequest = (target: WebhookTarget, max: number): number => (target.enveloped && target.batched ? max : 1);
