import { createHmac } from 'node:crypto';

/** Ably's webhook signature: base64 HMAC-SHA256 of the raw request body, keyed with the API key's secret. */
export function signWebhookBody(body: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}
