import { createHash } from 'node:crypto';
import { parseApiKey } from '../auth/api-key.ts';
import type { Config, WebhookConfig, WebhookSource } from '../config/index.ts';

/** A configured webhook, ready to match channels and sign requests. */
export interface WebhookTarget {
  /** Stable across restarts and identical on every node (it names the webhook's queue in Redis). */
  id: string;
  url: URL;
  sources: ReadonlySet<WebhookSource>;
  filter: RegExp | undefined;
  /** Only this app's channels (the app of `signWithKey`); undefined: every app. */
  appId: string | undefined;
  enveloped: boolean;
  batched: boolean;
  signing: { keyName: string; secret: string } | undefined;
  headers: Record<string, string>;
}

/** Builds the targets from validated config (src/config/webhooks.ts checked every field at start-up). */
export function webhookTargets(config: Config): WebhookTarget[] {
  return config.webhooks.map((w: WebhookConfig, i) => {
    const key =
      w.signWithKey === undefined ? undefined : config.keys.map((k) => parseApiKey(k.key)).find((k) => k?.name === w.signWithKey);
    return {
      id: createHash('sha256')
        .update(`${i}\0${w.url}\0${w.sources.join(',')}`)
        .digest('base64url')
        .slice(0, 12),
      url: new URL(w.url),
      sources: new Set(w.sources),
      filter: w.channelFilter === undefined ? undefined : new RegExp(w.channelFilter),
      appId: key?.appId,
      enveloped: w.enveloped ?? true,
      batched: w.batched ?? true,
      signing: key ? { keyName: key.name, secret: key.secret } : undefined,
      headers: w.headers ?? {},
    };
  });
}

/** Whether an event of `source` on the namespaced channel `key` goes to this webhook. Metachannels never do. */
export function wants(target: WebhookTarget, source: WebhookSource, key: string): boolean {
  if (!target.sources.has(source)) return false;
  const colon = key.indexOf(':');
  const name = key.slice(colon + 1);
  if (name.startsWith('[meta]')) return false;
  if (target.appId !== undefined && key.slice(0, colon) !== target.appId) return false;
  return target.filter === undefined || target.filter.test(name);
}
