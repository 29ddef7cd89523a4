// agent-webhook.mjs: pauses an agent's work on a session when its user is offline on every device.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRETS = { 'myapp.server': process.env.ROLLCALL_KEY_SECRET }; // the secret part of myapp.server:SECRET
const seen = new Set(); // item ids already handled (delivery is at least once); use a TTL store in production

function verified(headers, rawBody) {
  const secret = SECRETS[headers['x-ably-key']];
  const given = Buffer.from(String(headers['x-ably-signature'] ?? ''), 'base64');
  if (!secret) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function pauseWork(session, clientId, reason, data) {
  console.log(`pausing ${session}: ${clientId} is offline on all devices (${reason})`, data);
}

async function resumeWork(session, clientId) {
  console.log(`resuming ${session}: ${clientId} is back`);
}

export async function handler(headers, rawBody) {
  if (!verified(headers, rawBody)) return 401;
  const { items } = JSON.parse(rawBody.toString('utf8'));
  for (const item of items) {
    if (item.source !== 'client.presence' || seen.has(item.id)) continue;
    seen.add(item.id);
    const { channel, clientId, reason, data } = item.data;
    if (item.name === 'client.offline') await pauseWork(channel, clientId, reason, data);
    else if (item.name === 'client.online') await resumeWork(channel, clientId);
  }
  return 204; // any 2xx; anything else (or no answer) is retried with backoff
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => res.writeHead(await handler(req.headers, Buffer.concat(chunks))).end());
}).listen(Number(process.env.PORT ?? 3000), () => console.log('agent webhook listening'));
