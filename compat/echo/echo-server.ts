// TEST TOOLING ONLY: a local stand-in for Ably's public test echo service (echo.ably.io), which some ably-js tests
// call and which is not reachable here. It serves HTTPS with a throwaway self-signed certificate; the suite's
// processes reach it through dns-preload.cjs (echo.ably.io → 127.0.0.1) and trust it via NODE_EXTRA_CA_CERTS.
// Endpoints: /createJWT, /?type=json|text&body=[&status=], /respondwith?status=, /qs_to_body, /methods.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export const ECHO_HOST = 'echo.ably.io';

/** Writes a self-signed certificate for echo.ably.io into `dir`; returns the paths of the key and the certificate. */
export function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'echo-key.pem');
  const cert = join(dir, 'echo-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${ECHO_HOST}`,
      '-addext',
      `subjectAltName=DNS:${ECHO_HOST}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

/** An Ably JWT as the echo service makes it: HS256, `kid` = keyName, optional clientId/capability, `expiresIn` s. */
async function createJwt(q: URLSearchParams): Promise<string> {
  const keyName = q.get('keyName') ?? '';
  const secret = new TextEncoder().encode(q.get('keySecret') ?? '');
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  const clientId = q.get('clientId');
  if (clientId !== null) claims['x-ably-clientId'] = clientId;
  claims['x-ably-capability'] = q.get('capability') ?? '{"*":["*"]}';
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyName })
    .setIssuedAt(now)
    .setExpirationTime(now + Number(q.get('expiresIn') ?? 3600))
    .sign(secret);
}

/**
 * Starts the stand-in on port 443 (the suite calls https://echo.ably.io with no port) of the first free loopback
 * address from 127.0.0.1 up, so two runs can coexist; dns-preload.cjs reads the address from
 * ROLLCALL_COMPAT_ECHO_ADDRESS.
 */
export async function startEchoServer(tls: { key: string; cert: string }): Promise<{ server: Server; address: string }> {
  for (let last = 1; last < 32; last++) {
    const address = `127.0.0.${last}`;
    try {
      return { server: await listenEcho(tls, 443, address), address };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no free loopback address for the echo stand-in on port 443');
}

/** The urlencoded fields of a request body (none for GET). */
async function formFields(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

async function listenEcho(tls: { key: string; cert: string }, port: number, address: string): Promise<Server> {
  const server = createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${ECHO_HOST}`);
    const q = url.searchParams;
    const cors = { 'access-control-allow-origin': '*' };
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { ...cors, 'content-type': type }).end(body);
    if (url.pathname === '/createJWT') {
      createJwt(q).then(
        (jwt) => send(200, q.get('returnType') === 'jwt' ? 'application/jwt' : 'text/plain', jwt),
        (err: Error) => send(400, 'text/plain', err.message),
      );
    } else if (url.pathname === '/respondwith') {
      send(Number(q.get('status') ?? 200), 'text/plain', '');
    } else if (url.pathname === '/methods') {
      send(200, 'application/json', JSON.stringify([{ method: (req.method ?? 'GET').toLowerCase() }]));
    } else if (url.pathname === '/qs_to_body') {
      send(200, 'application/json', JSON.stringify(Object.fromEntries(q)));
    } else if (url.pathname === '/' && !q.has('type') && !q.has('body') && req.method === 'GET') {
      // Nothing to echo: the public service refuses it, which ably-js's connectivity check relies on.
      send(400, 'text/plain', 'nothing to echo');
    } else if (url.pathname === '/') {
      // A POST without `body` echoes its form fields as the body (authUrl with authMethod POST).
      formFields(req).then((form) => {
        const body = q.get('body') ?? (Object.keys(form).length > 0 ? JSON.stringify(form) : '');
        // With a charset, as the public service sends it: the SDK then reads an error status as the status alone
        // instead of parsing the echoed body as an Ably error (ably-js authUrl_403_custom_error).
        const type = q.get('type') === 'json' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
        send(Number(q.get('status') ?? 200), type, body);
      });
    } else {
      send(404, 'text/plain', 'not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  return server;
}
