import { parseCapability } from '../auth/capability.ts';
import { ErrorInfo } from '../errors/index.ts';

/** One key of a test app as requested: its capability (absent = every operation on every channel). */
export interface KeySpec {
  capability: Record<string, string[]>;
  /** The request's own fields (e.g. `revocableTokens`), echoed back in the response as Ably's sandbox does. */
  extra: Record<string, unknown>;
}

/** A presence member held by the server on a fixture channel; `data`/`encoding` are stored exactly as given. */
export interface PresenceFixture {
  clientId: string;
  data?: string;
  encoding?: string;
}

export interface ChannelSpec {
  name: string;
  presence: PresenceFixture[];
}

/** A validated `POST /apps` body (the shape of ably-common's `test-app-setup.json` `post_apps`). */
export interface AppSpec {
  keys: KeySpec[];
  /** Echoed back; Rollcall keeps history on every channel, so `persisted` needs nothing more. */
  namespaces: Array<Record<string, unknown>>;
  channels: ChannelSpec[];
  /** `limits.presence.maxMembers`, when given. */
  maxMembersPerChannel?: number;
}

const FULL_CAPABILITY = { '*': ['*'] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A capability as Ably's sandbox accepts it: a JSON string or an object of channel pattern → operations. */
function capabilityOf(raw: unknown, where: string): Record<string, string[]> {
  if (raw === undefined) return FULL_CAPABILITY;
  const capability = parseCapability(raw);
  if (!capability) throw ErrorInfo.of('invalidRequestBody', `${where}.capability must map channels to lists of operations`);
  return capability;
}

function parsePresence(raw: unknown, where: string): PresenceFixture[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw ErrorInfo.of('invalidRequestBody', `${where}.presence must be a list`);
  return raw.map((item, i) => {
    const at = `${where}.presence[${i}]`;
    if (!isObject(item) || typeof item.clientId !== 'string' || item.clientId === '') {
      throw ErrorInfo.of('invalidRequestBody', `${at} needs a clientId`);
    }
    for (const field of ['data', 'encoding'] as const) {
      if (item[field] !== undefined && typeof item[field] !== 'string') {
        throw ErrorInfo.of('invalidRequestBody', `${at}.${field} must be a string`);
      }
    }
    return { clientId: item.clientId, data: item.data as string | undefined, encoding: item.encoding as string | undefined };
  });
}

/**
 * Validates a `POST /apps` body. An empty body (`{}`) is a valid app with one full-capability key, so a user's
 * integration tests can provision with no setup file at all. Throws 40001 naming the offending field.
 */
export function parseAppSpec(body: unknown): AppSpec {
  if (!isObject(body)) throw ErrorInfo.of('invalidRequestBody', 'the app description must be a JSON object');
  const rawKeys = body.keys ?? [{}];
  if (!Array.isArray(rawKeys) || rawKeys.length === 0) throw ErrorInfo.of('invalidRequestBody', 'keys must be a non-empty list');
  const keys = rawKeys.map((k, i) => {
    if (!isObject(k)) throw ErrorInfo.of('invalidRequestBody', `keys[${i}] must be an object`);
    const { capability, ...extra } = k;
    return { capability: capabilityOf(capability, `keys[${i}]`), extra };
  });
  const namespaces = body.namespaces ?? [];
  if (!Array.isArray(namespaces) || !namespaces.every(isObject)) {
    throw ErrorInfo.of('invalidRequestBody', 'namespaces must be a list of objects');
  }
  const rawChannels = body.channels ?? [];
  if (!Array.isArray(rawChannels)) throw ErrorInfo.of('invalidRequestBody', 'channels must be a list');
  const channels = rawChannels.map((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string' || c.name === '') {
      throw ErrorInfo.of('invalidRequestBody', `channels[${i}] needs a name`);
    }
    return { name: c.name, presence: parsePresence(c.presence, `channels[${i}]`) };
  });
  const limits = body.limits;
  let maxMembersPerChannel: number | undefined;
  if (isObject(limits) && isObject(limits.presence) && limits.presence.maxMembers !== undefined) {
    const max = limits.presence.maxMembers;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw ErrorInfo.of('invalidRequestBody', 'limits.presence.maxMembers must be a positive integer');
    }
    maxMembersPerChannel = max;
  }
  return { keys, namespaces, channels, maxMembersPerChannel };
}
