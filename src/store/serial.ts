import { randomBytes } from 'node:crypto';

/**
 * Channel serials are `<epoch>-<seq>`: the epoch names one continuous numbering of a channel's events (it changes
 * when that numbering is lost, e.g. on a single-node restart), and seq counts events from 1.
 *
 * Every part is fixed-width so serials sort as strings in publish order (the SDKs compare `serial` and
 * `version.serial` with `<` on strings): the epoch starts with the wall-clock time it was made at (13 digits, ms),
 * so a numbering begun after one was lost sorts after it, then 4 random hex digits so two epochs made in the same
 * millisecond differ; seq is 12 digits; a message's serial adds its index in the event as 3 digits.
 */
export interface ChannelSerial {
  epoch: string;
  seq: number;
}

/** Digits of a zero-padded seq: 10^12 events per channel and epoch. */
export const SEQ_DIGITS = 12;
/** Digits of a message's index in its event (at most 1000 items per ProtocolMessage). */
const INDEX_DIGITS = 3;

export const formatSerial = (s: ChannelSerial): string => `${s.epoch}-${String(s.seq).padStart(SEQ_DIGITS, '0')}`;

export function parseSerial(serial: string | undefined): ChannelSerial | undefined {
  if (!serial) return undefined;
  const dash = serial.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const seq = Number(serial.slice(dash + 1));
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { epoch: serial.slice(0, dash), seq };
}

/** A new epoch made at `now` (ms): sorts after every epoch made earlier. */
export const newEpoch = (now: number): string =>
  `${String(Math.max(0, Math.floor(now))).padStart(13, '0')}${randomBytes(2).toString('hex')}`;

/** The serial of the `index`th message of the event numbered `channelSerial`. */
export const messageSerial = (channelSerial: string, index: number): string =>
  `${channelSerial}:${String(index).padStart(INDEX_DIGITS, '0')}`;

/** The event position of a message serial (`<epoch>-<seq>:<index>`); undefined when it is not one of ours. */
export function parseMessageSerial(serial: string | undefined): (ChannelSerial & { index: number }) | undefined {
  if (!serial) return undefined;
  const colon = serial.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const event = parseSerial(serial.slice(0, colon));
  const index = Number(serial.slice(colon + 1));
  if (!event || !Number.isSafeInteger(index) || index < 0 || serial.slice(colon + 1) === '') return undefined;
  return { ...event, index };
}
