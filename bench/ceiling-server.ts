import { Packr, Unpackr } from 'msgpackr';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { serveStats } from './process-stats.ts';

/**
 * The machine's ceiling: a raw `ws` server that relays every frame it receives, byte for byte and already encoded,
 * to every connected socket (the sender included). Clients send frames shaped exactly like Rollcall's outbound
 * PRESENCE/MESSAGE, so the same fan-out of the same bytes costs the least it can cost on this machine: no decode,
 * no encode, no presence state, no ACKs. Runs in its own process like the server under test.
 *
 * `--batch-window MS [--batch-max N]`: the batching ceiling (issue 16). PRESENCE frames are merged the way Rollcall
 * merges presence on a busy channel (the first event goes out at once; later ones within the window are held, then
 * decoded items are sent as one frame, encoded once for everyone), so the storm compares like with like: what this
 * machine can do when it also batches, against what the server does with state, ACKs and history on top.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const windowMs = option('--batch-window', 0);
const maxItems = option('--batch-max', 500);

const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });
const packr = new Packr({ useRecords: false });
const PRESENCE = 14;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });

const relay = (data: RawData | string, binary: boolean) => {
  for (const peer of wss.clients) peer.send(data, { binary });
};

/** One channel's held presence: its items in arrival order, plus the last frame's envelope. */
interface Held {
  items: unknown[];
  last: Record<string, unknown>;
  binary: boolean;
  timer: NodeJS.Timeout | undefined;
  lastSentAt: number;
}
const held = new Map<string, Held>();

function flush(h: Held): void {
  if (h.timer) clearTimeout(h.timer);
  h.timer = undefined;
  h.lastSentAt = performance.now();
  if (h.items.length === 0) return;
  const frame = { ...h.last, presence: h.items };
  h.items = [];
  relay(h.binary ? packr.pack(frame) : JSON.stringify(frame), h.binary);
}

function batch(data: RawData, binary: boolean): void {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  const frame = (binary ? unpackr.unpack(bytes) : JSON.parse(bytes.toString('utf8'))) as Record<string, unknown>;
  if (frame.action !== PRESENCE) {
    relay(data, binary);
    return;
  }
  const channel = String(frame.channel);
  const h = held.get(channel);
  const now = performance.now();
  if (!h) {
    held.set(channel, { items: [], last: frame, binary, timer: undefined, lastSentAt: now });
    relay(data, binary);
    return;
  }
  if (h.items.length === 0 && now - h.lastSentAt >= windowMs) {
    h.lastSentAt = now;
    relay(data, binary);
    return;
  }
  h.last = frame;
  h.items.push(...((frame.presence as unknown[]) ?? []));
  if (h.items.length >= maxItems) flush(h);
  else h.timer ??= setTimeout(() => flush(h as Held), windowMs);
}

wss.on('connection', (ws: WebSocket) => {
  ws.on('message', (data, isBinary) => (windowMs > 0 ? batch(data, isBinary) : relay(data, isBinary)));
  ws.on('error', () => {});
});
serveStats();
wss.on('listening', () => {
  const address = wss.address();
  process.send?.({ ready: true, port: typeof address === 'string' || !address ? 0 : address.port });
});
