import { WebSocketServer } from 'ws';
import { serveStats } from './process-stats.ts';

/**
 * The machine's ceiling: a raw `ws` server that relays every frame it receives, byte for byte and already encoded,
 * to every connected socket (the sender included). Clients send frames shaped exactly like Rollcall's outbound
 * PRESENCE/MESSAGE, so the same fan-out of the same bytes costs the least it can cost on this machine: no decode,
 * no encode, no presence state, no ACKs. Runs in its own process like the server under test.
 */
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const peer of wss.clients) peer.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});
serveStats();
wss.on('listening', () => {
  const address = wss.address();
  process.send?.({ ready: true, port: typeof address === 'string' || !address ? 0 : address.port });
});
