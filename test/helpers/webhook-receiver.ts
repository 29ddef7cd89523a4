import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { WebhookItem } from '../../src/integrations/webhook-item.ts';
import { Collector } from './server.ts';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: unknown;
}

/** A real HTTP endpoint for webhooks: records every request, answers `status` (settable), can go down and up. */
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** Requests answered with a 2xx. */
  readonly requests: Collector<ReceivedRequest>;
  /** Enveloped items of the requests answered with a 2xx, in arrival order. */
  readonly items: Collector<WebhookItem>;
  /** Requests answered with a non-2xx. */
  readonly refused: Collector<ReceivedRequest>;
  status: number;
  /** Stops listening (connections refused) until {@link WebhookReceiver.up}. */
  down(): Promise<void>;
  up(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (port 0); closed when the test ends. */
export async function startReceiver(t: TestContext, path = '/hook'): Promise<WebhookReceiver> {
  const requests = new Collector<ReceivedRequest>();
  const refused = new Collector<ReceivedRequest>();
  const items = new Collector<WebhookItem>();
  let server: Server;
  const receiver = {
    status: 200,
    requests,
    refused,
    items,
    url: '',
    port: 0,
    down: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    up: () => listen(receiver.port),
  };
  const listen = async (port: number) => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const request = { headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) };
        const status = receiver.status;
        res.writeHead(status).end();
        if (status < 200 || status >= 300) return refused.push(request);
        requests.push(request);
        const body = request.body as { items?: WebhookItem[] };
        for (const item of body.items ?? []) items.push(item);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    receiver.port = (server.address() as AddressInfo).port;
    receiver.url = `http://127.0.0.1:${receiver.port}${path}`;
  };
  await listen(0);
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return receiver;
}

/**
 * What a standard Ably webhook verifier does: HMAC-SHA256 over the raw body bytes with the secret of the key that
 * X-Ably-Key names, base64, compared in constant time with X-Ably-Signature.
 */
export function verifyAblySignature(request: ReceivedRequest, secrets: Record<string, string>): boolean {
  const keyName = request.headers['x-ably-key'];
  const signature = request.headers['x-ably-signature'];
  if (typeof keyName !== 'string' || typeof signature !== 'string') return false;
  const secret = secrets[keyName];
  if (secret === undefined) return false;
  const expected = createHmac('sha256', secret).update(request.raw).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
