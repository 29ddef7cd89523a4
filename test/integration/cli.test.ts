import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as Ably from 'ably';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Cli {
  child: ChildProcess;
  stdout: Collector<string>;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Runs the CLI exactly as `npm start` does (through tsx), with a clean ROLLCALL_* environment. */
function runCli(t: TestContext, args: string[], env: Record<string, string> = {}): Cli {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROLLCALL_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new Collector<string>();
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) stdout.push(line);
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout, stderr: () => err, exit };
}

const LISTENING = /^rollcall listening on http:\/\/([\d.]+):(\d+) \(ws:\/\/[\d.]+:\d+\/\) keys: (.*)$/;

async function listeningLine(cli: Cli): Promise<RegExpExecArray> {
  const lines = await Promise.race([
    cli.stdout.until((items) => items.some((l) => LISTENING.test(l))),
    cli.exit.then((code) => assert.fail(`CLI exited (${code}) before listening: ${cli.stderr()}`)),
  ]);
  return LISTENING.exec(lines.find((l) => LISTENING.test(l)) as string) as RegExpExecArray;
}

describe('GET /health', () => {
  test('answers 200 while the server is listening, and nothing answers once it has closed', async (t) => {
    const s = await startServer(t);
    const res = await fetch(`http://127.0.0.1:${s.port}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${s.port}/ready?probe=1`);
    assert.equal(ready.status, 200, 'a single node is ready whenever it listens');
    await s.server.close();
    await assert.rejects(fetch(`http://127.0.0.1:${s.port}/health`));
  });
});

describe('CLI', () => {
  test('--port 0 prints the real port and key names (no secret); /health 200; SDK round trip; SIGTERM exits 0', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--key', 'cliapp.k1:topsecret', '--key', 'cliapp.k2:other']);
    const [line, host, port, keys] = await listeningLine(cli);
    assert.equal(host, '127.0.0.1');
    assert.notEqual(Number(port), 0);
    assert.equal(keys, 'cliapp.k1, cliapp.k2');
    assert.ok(!line.includes('topsecret'));
    assert.ok(!cli.stdout.items.join('\n').includes('generated key'));

    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);

    for (const protocol of PROTOCOLS) {
      const client = new Ably.Realtime({
        key: 'cliapp.k1:topsecret',
        clientId: 'user-123',
        endpoint: 'localhost',
        port: Number(port),
        tls: false,
        useBinaryProtocol: protocol === 'msgpack',
        logLevel: 0,
      });
      t.after(() => client.close());
      const channel = client.channels.get('session-42');
      const got = new Collector<Ably.InboundMessage>();
      await channel.subscribe(got.push);
      await channel.publish('greeting', { text: 'hello' });
      const [msg] = await got.count(1);
      assert.deepEqual(msg?.data, { text: 'hello' });
      client.close();
      await client.connection.whenState('closed');
    }

    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
  });

  test('with no key it generates one, prints it once, and that key connects', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1']);
    const [, , port, keys] = await listeningLine(cli);
    const lines = await cli.stdout.until((items) => items.some((l) => l.startsWith('generated key')));
    const generated = /(\S+)$/.exec(lines.find((l) => l.startsWith('generated key')) as string)?.[1] as string;
    assert.equal(keys, generated.split(':')[0]);
    const client = new Ably.Realtime({ key: generated, endpoint: 'localhost', port: Number(port), tls: false, logLevel: 0 });
    t.after(() => client.close());
    await client.connection.whenState('connected');
    client.close();
    await client.connection.whenState('closed');
    cli.child.kill('SIGINT');
    assert.equal(await cli.exit, 0);
  });

  test('environment variables configure it when no flag is given', async (t) => {
    const cli = runCli(t, [], { ROLLCALL_PORT: '0', ROLLCALL_HOST: '127.0.0.1', ROLLCALL_KEYS: 'envapp.k:s1,envapp.k2:s2' });
    const [, host, , keys] = await listeningLine(cli);
    assert.equal(host, '127.0.0.1');
    assert.equal(keys, 'envapp.k, envapp.k2');
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
  });

  test('--help prints every option and exits 0', async (t) => {
    const cli = runCli(t, ['--help']);
    assert.equal(await cli.exit, 0);
    const out = cli.stdout.items.join('\n');
    for (const option of ['--port', '--host', '--key', '-h, --help', 'ROLLCALL_PORT', 'ROLLCALL_HOST', 'ROLLCALL_KEYS']) {
      assert.ok(out.includes(option), `help mentions ${option}`);
    }
  });

  test('a bad port or key exits 2 with a message', async (t) => {
    const badPort = runCli(t, ['--port', 'eighty']);
    assert.equal(await badPort.exit, 2);
    assert.match(badPort.stderr(), /--port must be an integer/);
    const badKey = runCli(t, ['--port', '0', '--key', 'nodot:hunter2']);
    assert.equal(await badKey.exit, 2);
    assert.match(badKey.stderr(), /malformed key/);
    assert.ok(!badKey.stderr().includes('hunter2'), 'the secret is not printed');
  });
});
