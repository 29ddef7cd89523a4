import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as Ably from 'ably';
import { listening, ROOT, runCli } from '../helpers/cli.ts';
import { Collector, PROTOCOLS, startServer } from '../helpers/server.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

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

describe('CLI (compiled, as npm start runs it)', () => {
  test('--port 0 logs the real port and key names (no secret); /health 200; SDK round trip; SIGTERM exits 0', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--key', 'cliapp.k1:topsecret', '--key', 'cliapp.k2:other']);
    const { record, host, port, keys } = await listening(cli);
    assert.equal(host, '127.0.0.1');
    assert.notEqual(port, 0);
    assert.equal(keys, 'cliapp.k1, cliapp.k2');
    assert.equal(record.level, 30, 'the banner is an info record');
    assert.deepEqual(record.keys, ['cliapp.k1', 'cliapp.k2']);
    assert.equal(record.version, VERSION);

    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);

    for (const protocol of PROTOCOLS) {
      const client = new Ably.Realtime({
        key: 'cliapp.k1:topsecret',
        clientId: 'user-123',
        endpoint: 'localhost',
        port,
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
    const records = cli.records(); // every stdout line is a JSON record (records() fails otherwise)
    assert.ok(records.some((r) => /SIGTERM received/.test(r.msg)));
    assert.equal(records.at(-1)?.msg, 'rollcall: stopped');
    assert.ok(!cli.lines.items.join('\n').includes('topsecret'));
    assert.ok(!records.some((r) => r.msg.startsWith('generated key')));
  });

  test('with no key it generates one, logs it once, and that key connects', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1']);
    const { port, keys } = await listening(cli);
    const notice = await cli.record(/^\{.*"msg":"generated key/);
    const generated = notice.generatedKey as string;
    assert.ok(notice.msg.endsWith(generated));
    assert.equal(keys, generated.split(':')[0]);
    const client = new Ably.Realtime({ key: generated, endpoint: 'localhost', port, tls: false, logLevel: 0 });
    t.after(() => client.close());
    await client.connection.whenState('connected');
    client.close();
    await client.connection.whenState('closed');
    cli.child.kill('SIGINT');
    assert.equal(await cli.exit, 0);
    const secret = generated.split(':')[1] as string;
    assert.equal(cli.lines.items.filter((l) => l.includes(secret)).length, 1, 'the generated secret is printed in one line');
  });

  test('environment variables configure it when no flag is given', async (t) => {
    const cli = runCli(t, [], { ROLLCALL_PORT: '0', ROLLCALL_HOST: '127.0.0.1', ROLLCALL_KEYS: 'envapp.k:s1,envapp.k2:s2' });
    const { host, keys } = await listening(cli);
    assert.equal(host, '127.0.0.1');
    assert.equal(keys, 'envapp.k, envapp.k2');
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
  });

  test('--help prints every option and exits 0', async (t) => {
    const cli = runCli(t, ['--help']);
    assert.equal(await cli.exit, 0);
    const out = cli.lines.items.join('\n');
    for (const option of [
      '--port',
      '--host',
      '--key',
      '--tls-cert',
      '--tls-key',
      '--log-level',
      '--version',
      '-h, --help',
      'ROLLCALL_PORT',
      'ROLLCALL_HOST',
      'ROLLCALL_KEYS',
      'ROLLCALL_TLS_CERT',
      'ROLLCALL_TLS_KEY',
      'ROLLCALL_LOG_LEVEL',
    ]) {
      assert.ok(out.includes(option), `help mentions ${option}`);
    }
  });

  test('--version prints the package version, also through npm start', async (t) => {
    const cli = runCli(t, ['--version']);
    assert.equal(await cli.exit, 0);
    assert.deepEqual(cli.lines.items, [VERSION]);
    const npm = spawnSync('npm', ['start', '--silent', '--', '--version'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(npm.status, 0, npm.stderr);
    assert.equal(npm.stdout.trim().split('\n').at(-1), VERSION);
  });

  test('a bad port exits 2 with the usage; a bad key or log level exits 2 with a fatal record naming it', async (t) => {
    const badPort = runCli(t, ['--port', 'eighty']);
    assert.equal(await badPort.exit, 2);
    assert.match(badPort.stderr(), /--port must be an integer/);
    const badKey = runCli(t, ['--port', '0', '--key', 'nodot:hunter2']);
    assert.equal(await badKey.exit, 2);
    const [fatal] = badKey.records();
    assert.equal(fatal?.level, 60);
    assert.match(fatal?.msg ?? '', /malformed key/);
    assert.ok(!`${badKey.lines.items.join('\n')}${badKey.stderr()}`.includes('hunter2'), 'the secret is not printed');
    const badLevel = runCli(t, ['--port', '0', '--log-level', 'chatty']);
    assert.equal(await badLevel.exit, 2);
    assert.match(badLevel.records()[0]?.msg ?? '', /logLevel must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});

describe('build on start', () => {
  test('a fresh copy without dist/ builds on first start, rebuilds when src/ changes, and not otherwise', async (t) => {
    const copy = mkdtempSync(join(tmpdir(), 'rollcall-build-'));
    t.after(() => rmSync(copy, { recursive: true, force: true }));
    for (const entry of ['src', 'bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const start = async (args: string[]) => {
      const cli = runCli(t, args, {}, { cwd: copy });
      assert.equal(await cli.exit, 0, cli.stderr());
      return cli.lines.items;
    };

    const first = await start(['--version']);
    assert.match(first[0] ?? '', /"msg":"building dist\/ \(dist\/ is missing\)"/);
    assert.equal(first.at(-1), VERSION);
    assert.ok(statSync(join(copy, 'dist/store/redis/lua/presence-upsert.lua')).isFile(), 'Lua scripts are copied');
    assert.ok(statSync(join(copy, 'dist/cli/main.js.map')).isFile(), 'source maps are written');

    assert.deepEqual(await start(['--version']), [VERSION], 'an up-to-date build is used as it is');

    // An edit to a source file (dated after the build) is compiled before the next start.
    // The build is dated back a minute first, so the edit is newer whatever the file system's timestamp resolution.
    const stamp = join(copy, 'dist/.build-stamp');
    const earlier = statSync(stamp).mtime.getTime() / 1000 - 60;
    utimesSync(stamp, earlier, earlier);
    const args = join(copy, 'src/cli/args.ts');
    writeFileSync(args, readFileSync(args, 'utf8').replace('Self-hosted realtime presence server', 'EDITED-SINCE-BUILD'));
    // Three servers started together on the stale tree (a cluster on one machine): one builds, the others wait for it.
    const together = await Promise.all([start(['--help']), start(['--help']), start(['--help'])]);
    const building = /"msg":"building dist\/ \(src changed since the last build\)"/;
    assert.equal(together.filter((lines) => building.test(lines[0] ?? '')).length, 1, 'exactly one of them builds');
    for (const lines of together)
      assert.ok(
        lines.some((l) => l.includes('EDITED-SINCE-BUILD')),
        'the rebuilt code runs',
      );
    assert.ok(!existsSync(join(copy, '.rollcall-build.lock')), 'the build lock is released');
  });
});
