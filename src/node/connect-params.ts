import type { Credentials } from '../auth/authenticator.ts';
import type { Config } from '../config/index.ts';
import type { ConnectionOptions } from '../connection/connection.ts';
import { ErrorInfo } from '../errors/index.ts';
import { type Codec, codecFor, jsonCodec } from '../protocol/index.ts';

/** What the SDK sends in the upgrade query string (Ably §1.2), parsed. Unknown parameters are ignored. */
export interface ConnectParams {
  credentials: Credentials;
  /** `resume` or `recover`: a previous connectionKey. */
  resumeKey?: string;
  options: ConnectionOptions;
  /** Set when the params are unusable; the codec is still chosen so the ERROR can be sent in the client's format. */
  error?: ErrorInfo;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const v = Number(raw);
  return Number.isFinite(v) ? Math.round(v) : undefined;
}

export function parseConnectParams(query: URLSearchParams, config: Config): ConnectParams {
  const codec: Codec | undefined = codecFor(query.get('format') ?? undefined);
  const heartbeatInterval = clamp(
    intParam(query, 'heartbeatInterval') ?? config.heartbeatInterval,
    config.minHeartbeatInterval,
    config.maxHeartbeatInterval,
  );
  const remainPresentFor = clamp(
    intParam(query, 'remainPresentFor') ?? config.remainPresentFor,
    config.minRemainPresentFor,
    config.maxRemainPresentFor,
  );
  const options: ConnectionOptions = {
    codec: codec ?? jsonCodec,
    echo: query.get('echo') !== 'false',
    heartbeats: query.get('heartbeats') === 'true',
    heartbeatInterval,
    remainPresentFor,
  };
  const clientId = query.get('clientId') ?? undefined;
  const credentials: Credentials = {
    key: query.get('key') ?? undefined,
    accessToken: query.get('access_token') ?? query.get('accessToken') ?? undefined,
    clientId,
  };
  const params: ConnectParams = {
    credentials,
    resumeKey: query.get('resume') ?? query.get('recover') ?? undefined,
    options,
  };
  const version = query.get('v');
  if (!codec) params.error = ErrorInfo.of('badRequest', `unsupported format ${query.get('format')}`);
  else if (version !== null && !(Number(version) >= 2)) params.error = ErrorInfo.of('unsupportedProtocolVersion', `v=${version}`);
  else if (clientId !== undefined && (clientId.length === 0 || clientId.length > config.maxClientIdLength)) {
    params.error = ErrorInfo.of('invalidClientId', `clientId must be 1..${config.maxClientIdLength} characters`);
  }
  return params;
}
