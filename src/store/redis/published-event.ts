import { decodeClusterMessage } from '../../cluster/cluster-message.ts';
import type { ProtocolMessage } from '../../protocol/index.ts';
import type { ChannelEvent } from '../broker.ts';
import { formatSerial, parseSerial } from '../serial.ts';
import { stampSerial } from '../stamp.ts';

/** The event the broker numbered `serial` (`<epoch>-<seq>` as broker-publish.lua makes it), stamped. */
export function numberedEvent(
  channel: string,
  serial: string,
  origin: string | undefined,
  message: ProtocolMessage,
): ChannelEvent {
  const parsed = parseSerial(serial) ?? { epoch: serial, seq: 0 };
  const canonical = formatSerial(parsed);
  return { channel, serial: canonical, seq: parsed.seq, origin, message: stampSerial(message, canonical) };
}

/**
 * Decodes `<serial>\n<encoded channel-event>`: what broker-publish.lua sends to subscribers and keeps in history.
 * Undefined when the bytes are not one (a newer node's message).
 */
export function decodePublished(channel: string, bytes: Buffer): ChannelEvent | undefined {
  const nl = bytes.indexOf(10);
  if (nl < 0) return undefined;
  const decoded = decodeClusterMessage(bytes.subarray(nl + 1));
  if (decoded?.type !== 'channel-event') return undefined;
  return numberedEvent(channel, bytes.subarray(0, nl).toString(), decoded.origin, decoded.message);
}
