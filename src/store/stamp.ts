import { Action, type ProtocolMessage } from '../protocol/index.ts';

/**
 * Stamps a broker-assigned serial on an outbound message: the ProtocolMessage's channelSerial and, for MESSAGEs,
 * each item's `serial` (`<channelSerial>:<index>`, the value returned in the ACK's `res`). Every Broker uses this.
 */
export function stampSerial(message: ProtocolMessage, serial: string): ProtocolMessage {
  const stamped: ProtocolMessage = { ...message, channelSerial: serial };
  if (message.action === Action.MESSAGE && message.messages) {
    stamped.messages = message.messages.map((m, i) => ({ ...m, serial: `${serial}:${i}` }));
  }
  return stamped;
}
