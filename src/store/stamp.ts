import { Action, type ProtocolMessage } from '../protocol/index.ts';
import { messageSerial } from './serial.ts';

/**
 * Stamps a broker-assigned serial on an outbound message: the ProtocolMessage's channelSerial and, for MESSAGEs,
 * each item's `serial` (`<channelSerial>:<index>`, the value returned in the ACK's `res`). Items that already carry
 * a serial keep it: a message operation (update, delete, append) names the message it changes, and the event's own
 * serial becomes that operation's `version.serial` instead. An ANNOTATION's items get theirs the same way (it
 * sorts after the serial of the message it annotates). Every Broker uses this.
 */
export function stampSerial(message: ProtocolMessage, serial: string): ProtocolMessage {
  const stamped: ProtocolMessage = { ...message, channelSerial: serial };
  if (message.action === Action.MESSAGE && message.messages) {
    stamped.messages = message.messages.map((m, i) => {
      const own = messageSerial(serial, i);
      if (m.serial === undefined) return { ...m, serial: own };
      return { ...m, version: { ...m.version, serial: own } };
    });
  }
  if (message.action === Action.ANNOTATION && message.annotations) {
    stamped.annotations = message.annotations.map((a, i) => ({ ...a, serial: messageSerial(serial, i) }));
  }
  return stamped;
}
