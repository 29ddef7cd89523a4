/**
 * Channel serials are `<epoch>-<seq>`: the epoch names one continuous numbering of a channel's events (it changes
 * when that numbering is lost, e.g. on a single-node restart), and seq counts events from 1.
 */
export interface ChannelSerial {
  epoch: string;
  seq: number;
}

export const formatSerial = (s: ChannelSerial): string => `${s.epoch}-${s.seq}`;

export function parseSerial(serial: string | undefined): ChannelSerial | undefined {
  if (!serial) return undefined;
  const dash = serial.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const seq = Number(serial.slice(dash + 1));
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { epoch: serial.slice(0, dash), seq };
}
