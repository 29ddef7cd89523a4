import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/redis.ts';
import { Collector, startServer, TEST_KEY } from '../helpers/server.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/agent-webhook.mjs', import.meta.url));
const SERVER_KEY = 'myapp.server:server-secret';

test("the README's agent webhook handler verifies Rollcall's signature and pauses work on client.offline", async (t) => {
  const port = await freePort();
  const agent = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, PORT: String(port), ROLLCALL_KEY_SECRET: 'server-secret' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => agent.kill('SIGKILL'));
  const lines = new Collector<string>();
  agent.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
  });
  await lines.until((l) => l.includes('agent webhook listening'));
  const forged = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'x-ably-key': 'myapp.server', 'x-ably-signature': 'AAAA' },
    body: '{"items":[]}',
  });
  assert.equal(forged.status, 401, 'a forged signature is refused');

  const s = await startServer(t, {
    keys: [{ key: TEST_KEY }, { key: SERVER_KEY }],
    webhooks: [{ url: `http://127.0.0.1:${port}/rollcall`, sources: ['client.presence'], signWithKey: 'myapp.server' }],
    webhookBatchWindow: 20,
  });
  const desktop = s.realtime({ key: SERVER_KEY, clientId: 'user-123' });
  const mobile = s.realtime({ key: SERVER_KEY, clientId: 'user-123' });
  await desktop.channels.get('session-42').presence.enter();
  await mobile.channels.get('session-42').presence.enter();
  await mobile.channels.get('session-42').presence.leave();
  await desktop.channels.get('session-42').presence.leave({ reason: 'session-completed' });
  await lines.until((l) => l.some((x) => x.startsWith('pausing')));
  assert.deepEqual(lines.items.slice(1), [
    'resuming session-42: user-123 is back',
    "pausing session-42: user-123 is offline on all devices (leave) { reason: 'session-completed' }",
  ]);
});
