import { compile, type JSONValue, TreeInterpreter } from '@jmespath-community/jmespath';
import { ErrorInfo } from '../errors/index.ts';
import type { Message } from '../protocol/index.ts';

/** A derived channel (`channels.getDerived(name, {filter})`): the channel it reads, and the filter it applies. */
export interface DerivedChannel {
  /** The base channel whose messages are filtered. */
  base: string;
  /** Whether a message passes the filter. */
  accepts(message: Message): boolean;
}

const FILTER_QUALIFIER = /^\[filter=([^?\]]*)(?:\?[^\]]*)?\](.+)$/;

/**
 * Parses `[filter=<base64 JMESPath>]name` (what the SDK attaches for `getDerived`); undefined for any other name.
 * The expression sees the message's `name`, `clientId` and `headers` (its `extras.headers`), as on Ably; a
 * malformed expression fails the attach with 40010.
 */
export function parseDerivedChannel(name: string): DerivedChannel | undefined {
  const m = FILTER_QUALIFIER.exec(name);
  if (!m) return undefined;
  const expression = Buffer.from(m[1] as string, 'base64').toString('utf8');
  let ast: ReturnType<typeof compile>;
  try {
    ast = compile(expression);
  } catch (err) {
    throw ErrorInfo.of('invalidChannelName', `filter expression does not parse: ${(err as Error).message}`);
  }
  return {
    base: m[2] as string,
    accepts(message) {
      const headers = (message.extras?.headers ?? {}) as JSONValue;
      const context = { name: message.name ?? null, clientId: message.clientId ?? null, headers } as JSONValue;
      try {
        return TreeInterpreter.search(ast, context) === true;
      } catch {
        // A runtime type error (e.g. comparing a missing header) means "does not match", not a failed channel.
        return false;
      }
    },
  };
}
