import { parseApiKey } from '../auth/api-key.ts';
import { type KeyConfig, WEBHOOK_SOURCES, type WebhookConfig } from './config.ts';

const FIELDS = new Set(['url', 'sources', 'channelFilter', 'enveloped', 'batched', 'signWithKey', 'headers']);

/**
 * Checks the `webhooks` list at start-up so a typo fails loudly instead of silently never delivering: the URL must be
 * http(s), every source known, the channel filter a valid regular expression, `signWithKey` the name of a
 * configured key. Throws an Error naming `webhooks[i]` and the problem (never a key secret).
 */
export function validateWebhooks(webhooks: unknown, keys: KeyConfig[]): void {
  if (!Array.isArray(webhooks)) throw new Error('config: webhooks must be a list');
  const keyNames = new Set(keys.map((k) => parseApiKey(k.key)?.name));
  webhooks.forEach((w: Partial<WebhookConfig>, i) => {
    const at = `config: webhooks[${i}]`;
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new Error(`${at} must be a mapping`);
    const unknown = Object.keys(w).find((f) => !FIELDS.has(f));
    if (unknown !== undefined) throw new Error(`${at} has unknown field "${unknown}"`);
    let url: URL;
    try {
      url = new URL(String(w.url));
    } catch {
      throw new Error(`${at}.url is not a valid URL: ${String(w.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${at}.url must be http:// or https://`);
    if (!Array.isArray(w.sources) || w.sources.length === 0) throw new Error(`${at}.sources must be a non-empty list`);
    for (const source of w.sources) {
      if (!(WEBHOOK_SOURCES as readonly string[]).includes(source)) {
        throw new Error(`${at}.sources: unknown source "${source}" (known: ${WEBHOOK_SOURCES.join(', ')})`);
      }
    }
    if (w.channelFilter !== undefined) {
      try {
        new RegExp(String(w.channelFilter));
      } catch (err) {
        throw new Error(`${at}.channelFilter is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    for (const flag of ['enveloped', 'batched'] as const) {
      if (w[flag] !== undefined && typeof w[flag] !== 'boolean') throw new Error(`${at}.${flag} must be true or false`);
    }
    if (w.signWithKey !== undefined && !keyNames.has(w.signWithKey)) {
      throw new Error(`${at}.signWithKey "${w.signWithKey}" is not the name (APPID.KEYID) of a configured key`);
    }
    if (w.headers !== undefined) {
      if (typeof w.headers !== 'object' || w.headers === null || Array.isArray(w.headers)) {
        throw new Error(`${at}.headers must be a mapping of header names to strings`);
      }
      for (const [name, value] of Object.entries(w.headers)) {
        if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
          throw new Error(`${at}.headers: "${name}" must be a valid header name with a string value`);
        }
      }
    }
  });
}
