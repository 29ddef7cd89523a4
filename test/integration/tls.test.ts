import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../src/server/create-server.ts';
import { listening, runCli } from '../helpers/cli.ts';
import { PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';
import { makeCertificate, opensslSkip, type TestCertificate } from '../helpers/tls.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tls-client.ts', import.meta.url));

/** Runs the SDK fixture in a child process; `trust` adds the certificate as an extra CA (NODE_EXTRA_CA_CERTS). */
async function sdkOverTls(
  t: TestContext,
  port: number,
  protocol: string,
  trust: string | undefined,
): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (trust) env.NODE_EXTRA_CA_CERTS = trust;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify({ port, key: TEST_KEY, protocol })], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await once(child, 'exit');
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}

/** GET over HTTPS trusting only `ca`; resolves with the status code. */
function httpsStatus(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('TLS: HTTPS and WSS on one port', { skip: opensslSkip() }, () => {
  test('the unmodified SDK with its default tls: true works with only endpoint and tlsPort changed (json, msgpack)', async (t) => {
    const cert = makeCertificate(t);
    const s = await startServer(t, { tlsCert: cert.cert, tlsKey: cert.key });
    assert.equal(s.server.tls, true);
    for (const protocol of PROTOCOLS) {
      const seen = await sdkOverTls(t, s.port, protocol, cert.cert);
      assert.deepEqual(
        seen,
        {
          time: true,
          transport: `wss://localhost:${s.port}/`,
          message: { text: 'over wss' },
          members: [{ clientId: 'tls-user', data: { device: 'laptop' } }],
        },
        protocol,
      );
    }
  });

  test('a client that does not trust the certificate refuses it; one that does gets /health 200', async (t) => {
    const cert = makeCertificate(t);
    const s = await startServer(t, { tlsCert: cert.cert, tlsKey: cert.key });
    const untrusted = await sdkOverTls(t, s.port, 'json', undefined);
    assert.match(String(untrusted.error), /certificate/i, 'the SDK checks the certificate (so the test above means something)');
    await assert.rejects(fetch(`https://127.0.0.1:${s.port}/health`));
    assert.equal(await httpsStatus(s.port, '/health', readFileSync(cert.cert)), 200);
    await assert.rejects(fetch(`http://127.0.0.1:${s.port}/health`), 'plain HTTP is not served on a TLS port');
  });

  test('CLI: --tls-cert/--tls-key and ROLLCALL_TLS_CERT/ROLLCALL_TLS_KEY serve https and wss', async (t) => {
    const cert = makeCertificate(t);
    const ca = readFileSync(cert.cert);
    const fromFlags = runCli(t, [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--key',
      TEST_KEY,
      '--tls-cert',
      cert.cert,
      '--tls-key',
      cert.key,
    ]);
    const fromEnv = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--key', TEST_KEY], {
      ROLLCALL_TLS_CERT: cert.cert,
      ROLLCALL_TLS_KEY: cert.key,
    });
    for (const cli of [fromFlags, fromEnv]) {
      const { record, port } = await listening(cli);
      assert.match(record.msg, /^rollcall listening on https:\/\/127\.0\.0\.1:\d+ \(wss:\/\/127\.0\.0\.1:\d+\/\)/);
      assert.equal(record.tls, true);
      assert.equal(await httpsStatus(port, '/health', ca), 200);
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exit, 0);
    }
  });

  test('unusable files stop start-up with an error naming the file: missing, not a certificate, key of another', async (t) => {
    const cert = makeCertificate(t);
    const other: TestCertificate = makeCertificate(t);
    const garbage = join(cert.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const start = (tlsCert: string, tlsKey: string) => () => createServer({ keys: [{ key: TEST_KEY }], tlsCert, tlsKey });
    assert.throws(start(join(cert.dir, 'missing.pem'), cert.key), /cannot read TLS certificate file .*missing\.pem: ENOENT/);
    assert.throws(start(cert.cert, join(cert.dir, 'nokey.pem')), /cannot read TLS key file .*nokey\.pem: ENOENT/);
    assert.throws(start(garbage, cert.key), /TLS certificate .*garbage\.pem is not a PEM certificate/);
    assert.throws(start(cert.cert, garbage), /TLS key .*garbage\.pem is not a usable private key for .*cert\.pem/);
    assert.throws(start(cert.cert, other.key), /TLS key .*key\.pem is not a usable private key for .*cert\.pem/);
    assert.throws(() => createServer({ tlsCert: cert.cert }), /tlsCert and tlsKey go together/);

    const cli = runCli(t, ['--port', '0', '--tls-cert', cert.cert, '--tls-key', other.key, '--key', TEST_KEY]);
    assert.equal(await cli.exit, 2);
    const [fatal] = cli.records();
    assert.equal(fatal?.level, 60);
    assert.match(fatal?.msg ?? '', /is not a usable private key/);
    assert.ok(!cli.lines.items.join('\n').includes('PRIVATE KEY'), 'key material is never printed');
  });
});
