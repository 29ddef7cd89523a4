/**
 * The single table of error codes Rollcall emits, mirroring ably-common's `protocol/errors.json`.
 * For 4xxxx/5xxxx codes the HTTP status is `Math.floor(code / 100)`; the 8xxxx/9xxxx codes state theirs.
 * Every entry is listed in docs/errors.md (checked by a test). Retired codes are never reused.
 */
export const ErrorCodes = {
  badRequest: { code: 40000, message: 'Bad request' },
  invalidRequestBody: { code: 40001, message: 'Invalid request body' },
  invalidParameter: { code: 40003, message: 'Invalid parameter value' },
  messageTooLarge: { code: 40009, message: 'Maximum message length exceeded' },
  invalidChannelName: { code: 40010, message: 'Invalid channel name' },
  invalidClientId: { code: 40012, message: 'Invalid client id' },
  invalidMessageData: { code: 40013, message: 'Invalid message data or encoding' },
  unsupportedProtocolVersion: { code: 40017, message: 'Unsupported protocol version' },
  unauthorized: { code: 40100, message: 'Unauthorized' },
  invalidCredentials: { code: 40101, message: 'Invalid credentials' },
  incompatibleCredentials: { code: 40102, message: 'Incompatible credentials' },
  timestampNotCurrent: { code: 40104, message: 'Timestamp not current' },
  nonceReplayed: { code: 40105, message: 'Nonce value replayed' },
  noCredentials: { code: 40106, message: 'Unable to obtain credentials from given parameters' },
  connectionLimit: { code: 40111, message: 'Connection limit exceeded for this key' },
  keyError: { code: 40130, message: 'Key not recognised' },
  tokenError: { code: 40140, message: 'Token error' },
  tokenRevoked: { code: 40141, message: 'Token revoked' },
  tokenExpired: { code: 40142, message: 'Token expired' },
  tokenUnrecognised: { code: 40143, message: 'Token unrecognised' },
  invalidJwt: { code: 40144, message: 'Invalid JWT format' },
  capabilityDenied: { code: 40160, message: 'Operation not permitted with provided capability' },
  modeNotGranted: { code: 40165, message: 'Operation not permitted by the channel modes attached with' },
  notFound: { code: 40400, message: 'Not found' },
  methodNotAllowed: { code: 40500, message: 'Method not allowed' },
  rateLimited: { code: 42910, message: 'Rate limit exceeded; request rejected' },
  internal: { code: 50000, message: 'Internal error' },
  unavailable: { code: 50300, message: 'Service unavailable' },
  disconnected: { code: 80003, message: 'Connection disconnected', statusCode: 503 },
  connectionExpired: { code: 80008, message: 'Unable to recover connection (connection expired)', statusCode: 400 },
  protocolError: { code: 80013, message: 'Protocol error', statusCode: 400 },
  connectionClosed: { code: 80017, message: 'Connection closed', statusCode: 400 },
  invalidConnectionKey: { code: 80018, message: 'Invalid connection key', statusCode: 400 },
  channelStateInvalid: { code: 90001, message: 'Channel operation failed (invalid channel state)', statusCode: 400 },
  channelHistoryExpired: { code: 90003, message: 'Unable to recover channel (messages expired)', statusCode: 404 },
  tooManyChannels: { code: 90010, message: 'Maximum number of channels per connection exceeded', statusCode: 400 },
  presenceNoClientId: { code: 91000, message: 'Unable to enter presence channel (no clientId)', statusCode: 400 },
  presenceNotAttached: { code: 91001, message: 'Unable to enter presence channel (invalid channel state)', statusCode: 400 },
  presenceTooManyMembers: {
    code: 91003,
    message: 'Unable to enter presence channel (maximum member limit exceeded)',
    statusCode: 400,
  },
  presenceMembershipLost: { code: 91007, message: 'Unexpected loss of presence membership', statusCode: 500 },
  presenceImplicitLeave: { code: 91100, message: 'Member implicitly left presence channel (connection closed)', statusCode: 400 },
} as const satisfies Record<string, { code: number; message: string; statusCode?: number }>;

export type ErrorName = keyof typeof ErrorCodes;
