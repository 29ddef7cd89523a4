import { randomBytes } from 'node:crypto';

/** URL-safe random ids. Connection ids contain no `:`, which separates the parts of message ids. */
export const newConnectionId = (): string => randomBytes(8).toString('base64url');

/** Connection keys are `<connectionId>!<secret>`, so a key names its connection but cannot be guessed. */
export const newConnectionKey = (connectionId: string): string => `${connectionId}!${randomBytes(12).toString('base64url')}`;

/** Whether a string has the shape of a key we issue (else a resume is answered with 80018, not 80008). */
export const looksLikeConnectionKey = (key: string): boolean => /^[\w-]+![\w-]+$/.test(key);
