import { ErrorInfo } from '../errors/index.ts';

/** Throws 40010 for names Ably rejects: empty, too long, with control characters, or starting with `:`. */
export function validateChannelName(name: string | undefined, maxLength: number): string {
  if (name === undefined || name.length === 0) throw ErrorInfo.of('invalidChannelName', 'channel name is empty');
  if (name.length > maxLength) throw ErrorInfo.of('invalidChannelName', `channel name longer than ${maxLength}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(name)) throw ErrorInfo.of('invalidChannelName', 'channel name has control characters');
  // A leading `:` would name the empty namespace, which Ably reserves.
  if (name.startsWith(':')) throw ErrorInfo.of('invalidChannelName', 'channel name starts with ":"');
  if (name.startsWith('[') && !/^\[[^\]]*\]./.test(name)) throw ErrorInfo.of('invalidChannelName', 'malformed channel qualifier');
  return name;
}

/** Channels of different apps never meet: every internal key is prefixed with the app id. */
export const channelKey = (appId: string, name: string): string => `${appId}:${name}`;
