/** A parsed API key `appId.keyId:secret`; `name` is `appId.keyId`. */
export interface ApiKey {
  appId: string;
  name: string;
  secret: string;
}

const KEY_PATTERN = /^([\w-]+)\.([\w-]+):(.+)$/;

/** Parses `appId.keyId:secret`; returns undefined when malformed. */
export function parseApiKey(key: string): ApiKey | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  return { appId: m[1] as string, name: `${m[1]}.${m[2]}`, secret: m[3] as string };
}
