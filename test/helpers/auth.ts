import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type * as Ably from 'ably';
import { SignJWT } from 'jose';
import { Packr, Unpackr } from 'msgpackr';
import WebSocket from 'ws';
import { Collector, type Protocol } from './server.ts';

/** A Collector-backed bare WebSocket speaking the Ably wire format, for looking at exactly what the server sends. */
export interface RawSocket {
  socket: WebSocket;
  frames: Collector<Record<string, unknown>>;
  send(value: unknown): void;
  /** First frame (seen already or later) with this action matching `where`. */
  next(action: number, where?: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  closed: Promise<number>;
}

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'number', useRecords: false });

/** Opens a raw socket with the given query (format and v added) and resolves once the first frame arrived. */
export async function rawSocket(
  t: TestContext,
  port: number,
  protocol: Protocol,
  query: Record<string, string>,
): Promise<RawSocket> {
  const params = new URLSearchParams({ format: protocol, heartbeats: 'false', v: '6', ...query });
  const socket = new WebSocket(`ws://127.0.0.1:${port}/?${params}`);
  const frames = new Collector<Record<string, unknown>>();
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('message', (data: Buffer, isBinary) =>
    frames.push(isBinary ? unpackr.unpack(data) : JSON.parse(data.toString('utf8'))),
  );
  socket.on('error', () => {});
  t.after(() => socket.terminate());
  const raw: RawSocket = {
    socket,
    frames,
    closed,
    send: (value) => socket.send(protocol === 'json' ? JSON.stringify(value) : packr.pack(value)),
    async next(action, where = () => true) {
      const match = (f: Record<string, unknown>) => f.action === action && where(f);
      return (await frames.until((all) => all.some(match))).find(match) as Record<string, unknown>;
    },
  };
  await frames.count(1);
  return raw;
}

/** The `error.code` of a frame. */
export const codeOf = (frame: Record<string, unknown>): number | undefined =>
  (frame.error as { code?: number } | undefined)?.code;

export interface JwtOptions {
  keyName: string;
  secret: string;
  clientId?: string;
  capability?: Record<string, string[]>;
  /** seconds from now; negative for an already expired token */
  expiresIn?: number;
  alg?: 'HS256' | 'HS384' | 'HS512';
}

/** An Ably JWT as a customer's backend would mint it (Ably §6.4), signed with jose. */
export function mintJwt(o: JwtOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { 'x-ably-capability': JSON.stringify(o.capability ?? { '*': ['*'] }) };
  if (o.clientId !== undefined) claims['x-ably-clientId'] = o.clientId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', kid: o.keyName, typ: 'JWT' })
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (o.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(o.secret));
}

/**
 * A local auth endpoint (the customer's backend): answers GET with whatever `respond` gives (a TokenRequest or
 * TokenDetails object as JSON, or a string as application/jwt), passing the query the SDK sent. Closed at test end.
 */
export async function authServer(
  t: TestContext,
  respond: (query: URLSearchParams) => Promise<object | string>,
): Promise<{ url: string; calls: Collector<URLSearchParams> }> {
  const calls = new Collector<URLSearchParams>();
  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    calls.push(query);
    respond(query).then(
      (body) => {
        if (typeof body === 'string') res.writeHead(200, { 'content-type': 'application/jwt' }).end(body);
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`, calls };
}

/** Resolves with the error code of the next transition of `client` to `state`. */
export function nextState(client: Ably.Realtime, state: Ably.ConnectionState): Promise<Ably.ConnectionStateChange> {
  return new Promise((resolve) => {
    const listener = (change: Ably.ConnectionStateChange) => {
      if (change.current !== state) return;
      client.connection.off(listener);
      resolve(change);
    };
    client.connection.on(listener);
  });
}
