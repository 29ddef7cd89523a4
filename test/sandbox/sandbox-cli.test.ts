import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as Ably from 'ably';
import { parseSandboxCli } from '../../src/cli/sandbox.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('sandbox flags and environment: port, host, and a config file for every app (its keys ignored)', () => {
  const files: Record<string, string> = { 'apps.yaml': 'keys:\n  - key: a.b:c\nremainPresentFor: 2000\n' };
  const parsed = parseSandboxCli(['--port', '0', '--config', 'apps.yaml'], { ROLLCALL_SANDBOX_HOST: '0.0.0.0' }, (p) => {
    return files[p] as string;
  });
  assert.deepEqual(parsed, { help: false, options: { port: 0, host: '0.0.0.0', server: { remainPresentFor: 2000 } } });
  assert.throws(() => parseSandboxCli(['--port', 'x'], {}), /--port must be 0\.\.65535/);
  assert.deepEqual(parseSandboxCli(['--help'], {}), { help: true });
});

test('`rollcall sandbox --port 0` serves POST /apps for the SDK and stops on SIGTERM', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit');
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited early (${code}): ${out}`)));
  });
  const res = await fetch(`${url}/apps`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 201);
  const app = (await res.json()) as { endpoint: string; port: number; keys: Array<{ keyStr: string }> };
  const rest = new Ably.Rest({ key: app.keys[0]?.keyStr, endpoint: app.endpoint, port: app.port, tls: false, logLevel: 0 });
  assert.equal(typeof (await rest.time()), 'number');
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
});
