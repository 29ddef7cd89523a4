import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Sends one POST; resolves with the status code, rejects on a network error or after `timeout` ms without an answer. */
export type PostFn = (url: URL, body: Buffer, headers: Record<string, string>, timeout: number) => Promise<number>;

// Kept-alive sockets: a busy webhook sends a request per batch window and should not pay a handshake each time.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4 });

/** The one place Rollcall makes outbound HTTP requests (webhooks). The response body is read and discarded. */
export const postHttp: PostFn = (url, body, headers, timeout) =>
  new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent: https ? httpsAgent : httpAgent,
        headers: { ...headers, 'content-length': String(body.length) },
        timeout,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.once('error', reject);
    req.end(body);
  });
