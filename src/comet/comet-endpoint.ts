import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/index.ts';
import { ErrorInfo } from '../errors/index.ts';
import type { Node } from '../node/node.ts';
import { Action, packMsgpack } from '../protocol/index.ts';
import { corsHeaders, sendPreflight } from '../rest/respond.ts';
import type { Clock } from '../time/clock.ts';
import { splitFrames } from './batch.ts';
import { CometTransport } from './comet-transport.ts';

const PREFIX = '/comet/';

/**
 * The comet (HTTP long-polling) endpoint, as ably-js's comet transport speaks it:
 * - `GET /comet/connect?<the WebSocket connect params>`: the first recv; answers with CONNECTED (or ERROR).
 * - `GET /comet/{connectionKey}/recv`: held until frames are queued, or `cometPollTimeout`.
 * - `POST /comet/{connectionKey}/send`: an array of protocol messages; 204.
 * - `GET /comet/{connectionKey}/close` (as CLOSE) and `/disconnect` (as a dropped transport); 204.
 * Bodies are arrays of protocol messages, JSON or msgpack (`format`). A key whose connection has no comet transport
 * here is 404 with 80016, which the SDK reads as "transport gone" and resumes; only errors it treats as fatal
 * (4xxxx) end the connection. Error bodies are always JSON: the SDK parses them as JSON whatever the format.
 */
export class CometEndpoint {
  private readonly transports = new Set<CometTransport>();

  constructor(
    private readonly node: Node,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  /** Serves the request if it is a comet one; false leaves it to the REST API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    if (!path.startsWith(PREFIX)) return false;
    if (req.method === 'OPTIONS') {
      sendPreflight(req, res);
      return true;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rest = path.slice(PREFIX.length);
    if (rest === 'connect') {
      this.connect(url.searchParams, res);
      return true;
    }
    const slash = rest.lastIndexOf('/');
    const op = rest.slice(slash + 1);
    const transport = slash > 0 ? this.transportFor(rest.slice(0, slash)) : undefined;
    if (!['recv', 'send', 'close', 'disconnect'].includes(op)) {
      sendError(req, res, ErrorInfo.of('notFound', `no comet operation ${op}`));
    } else if (!transport) {
      sendError(req, res, ErrorInfo.of('transportGone', 'no comet transport for this connection key'));
    } else if (op === 'recv') {
      transport.hold(res);
    } else if (op === 'send') {
      this.send(req, res, transport).catch(this.node.fail);
    } else {
      if (op === 'close') {
        const close = { action: Action.CLOSE };
        transport.receive([transport.binary ? packMsgpack(close) : Buffer.from(JSON.stringify(close))]);
      } else {
        transport.terminate();
      }
      res.writeHead(204, corsHeaders(req)).end();
    }
    return true;
  }

  /** Drops every comet transport still open (server shutdown, after the core said goodbye). */
  terminateAll(): void {
    for (const transport of [...this.transports]) transport.terminate();
  }

  private connect(query: URLSearchParams, res: ServerResponse): void {
    // The SDK sends no `format` over comet and reads JSON; the core's default (msgpack) is for WebSocket.
    if (!query.has('format')) query.set('format', 'json');
    const transport = new CometTransport(query.get('format') === 'msgpack', this.clock, this.config.cometPollTimeout, (t) =>
      this.transports.delete(t),
    );
    this.transports.add(transport);
    transport.hold(res);
    transport.bind(this.node.open(transport, query));
  }

  /**
   * The transport a URL key addresses: only the connection's current key, so a recv left over from a transport
   * the connection was resumed away from cannot take frames meant for its successor.
   */
  private transportFor(rawKey: string): CometTransport | undefined {
    let key: string;
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      return undefined;
    }
    const conn = this.node.connectionByKey(key);
    const transport = conn?.key === key ? conn.transport : undefined;
    return transport instanceof CometTransport && !transport.isEnded ? transport : undefined;
  }

  private async send(req: IncomingMessage, res: ServerResponse, transport: CometTransport): Promise<void> {
    // Several queued messages may share one request, so the limit is a few frames' worth.
    const limit = this.config.maxFrameSize * 4;
    let frames: Buffer[];
    try {
      frames = splitFrames(await readLimited(req, limit), transport.binary);
    } catch (err) {
      sendError(req, res, ErrorInfo.from(err));
      return;
    }
    transport.receive(frames);
    res.writeHead(204, corsHeaders(req)).end();
  }
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw ErrorInfo.of('messageTooLarge', `send body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw ErrorInfo.of('messageTooLarge', `send body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: ErrorInfo): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: error.toWire() });
  res.writeHead(error.statusCode, {
    ...corsHeaders(req),
    'content-type': 'application/json',
    'x-ably-errorcode': String(error.code),
    'x-ably-errormessage': encodeURIComponent(error.message),
  });
  res.end(body);
}
