import { randomBytes } from 'node:crypto';

/** URL-safe random ids. Connection ids contain no `:`, which separates the parts of message ids. */
export const newConnectionId = (): string => randomBytes(8).toString('base64url');

/** Connection keys are `<connectionId>!<secret>`, so a key names its connection but cannot be guessed. */
export const newConnectionKey = (connectionId: string): string => `${connectionId}!${randomBytes(12).toString('base64url')}`;

/**
 * Whether a string has the exact shape of a key we issue (11-char id, 16-char secret): a resume with such a key that
 * we no longer hold is 80008 (expired); anything else is 80018 (invalid), as ably-js's unrecoverableConnection expects.
 */
export const looksLikeConnectionKey = (key: string): boolean => /^[\w-]{11}![\w-]{16}$/.test(key);
