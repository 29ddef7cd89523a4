import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApiKey } from '../auth/api-key.ts';
import { resolveConfig } from '../config/index.ts';
import { HELP, parseCli } from './args.ts';

test('flags win over environment variables', () => {
  const { config } = parseCli(['--port', '9001', '--host', '127.0.0.1', '--key', 'a.b:flag'], {
    ROLLCALL_PORT: '7000',
    ROLLCALL_HOST: '0.0.0.0',
    ROLLCALL_KEYS: 'e.f:env',
  });
  assert.equal(config?.port, 9001);
  assert.equal(config?.host, '127.0.0.1');
  assert.deepEqual(config?.keys, [{ key: 'a.b:flag' }]);
});

test('environment variables apply when no flag is given', () => {
  const { config, generatedKey } = parseCli([], {
    ROLLCALL_PORT: '7000',
    ROLLCALL_HOST: '::1',
    ROLLCALL_KEYS: ' a.b:1 , c.d:2,',
  });
  assert.equal(config?.port, 7000);
  assert.equal(config?.host, '::1');
  assert.deepEqual(config?.keys, [{ key: 'a.b:1' }, { key: 'c.d:2' }]);
  assert.equal(generatedKey, undefined);
});

test('--key is repeatable and the --key=value form works', () => {
  const { config } = parseCli(['--key', 'a.b:1', '--key=c.d:2'], {});
  assert.deepEqual(config?.keys, [{ key: 'a.b:1' }, { key: 'c.d:2' }]);
});

test('with no key anywhere a valid random key is generated and returned for printing', () => {
  const first = parseCli([], {});
  const second = parseCli([], {});
  assert.ok(first.generatedKey);
  assert.ok(parseApiKey(first.generatedKey), `generated key ${first.generatedKey} must parse`);
  assert.deepEqual(first.config?.keys, [{ key: first.generatedKey }]);
  assert.notEqual(first.generatedKey, second.generatedKey);
  // The generated key passes the server's own validation.
  assert.equal(resolveConfig(first.config).keys.length, 1);
});

test('unset port and host are left to the config defaults', () => {
  const { config } = parseCli(['--key', 'a.b:c'], {});
  assert.equal(config?.port, undefined);
  assert.equal(config?.host, undefined);
  assert.equal(resolveConfig(config).port, 8080);
  assert.equal(resolveConfig(config).host, '0.0.0.0');
});

test('a non-integer port is refused with a readable message', () => {
  assert.throws(() => parseCli(['--port', 'abc'], {}), /--port must be an integer, got "abc"/);
  assert.throws(() => parseCli(['--port', '80.5'], {}), /--port must be an integer/);
  assert.throws(() => parseCli([], { ROLLCALL_PORT: 'x' }), /--port must be an integer/);
});

test('a port out of range parses but is refused by config validation', () => {
  const { config } = parseCli(['--port', '70000', '--key', 'a.b:c'], {});
  assert.throws(() => resolveConfig(config), /port/);
});

test('unknown flags and missing values are errors', () => {
  assert.throws(() => parseCli(['--nope'], {}));
  assert.throws(() => parseCli(['--port'], {}));
});

test('--help and -h ask for help, and the help text documents every option', () => {
  assert.equal(parseCli(['--help'], {}).help, true);
  assert.equal(parseCli(['-h', '--port', 'bad'], {}).help, true);
  for (const option of [
    ...['--port', '--host', '--key', '--help', '-h', '--tls-cert', '--tls-key', '--log-level', '--version'],
    ...['ROLLCALL_PORT', 'ROLLCALL_HOST', 'ROLLCALL_KEYS', 'ROLLCALL_TLS_CERT', 'ROLLCALL_TLS_KEY', 'ROLLCALL_LOG_LEVEL'],
  ]) {
    assert.ok(HELP.includes(option), `help mentions ${option}`);
  }
});

test('--tls-cert, --tls-key and --log-level, or their environment variables, fill tlsCert, tlsKey and logLevel', () => {
  const flags = parseCli(['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--log-level', 'debug'], {
    ROLLCALL_TLS_CERT: 'env-c.pem',
    ROLLCALL_TLS_KEY: 'env-k.pem',
    ROLLCALL_LOG_LEVEL: 'warn',
  });
  assert.equal(flags.config?.tlsCert, 'c.pem');
  assert.equal(flags.config?.tlsKey, 'k.pem');
  assert.equal(flags.config?.logLevel, 'debug');
  const env = parseCli([], { ROLLCALL_TLS_CERT: 'env-c.pem', ROLLCALL_TLS_KEY: 'env-k.pem', ROLLCALL_LOG_LEVEL: 'warn' });
  assert.equal(env.config?.tlsCert, 'env-c.pem');
  assert.equal(env.config?.tlsKey, 'env-k.pem');
  assert.equal(env.config?.logLevel, 'warn');
  const file = parseCli(['--config', 'x.yaml'], {}, () => 'tlsCert: f-c.pem\ntlsKey: f-k.pem\nlogLevel: error\n');
  assert.equal(file.config?.tlsCert, 'f-c.pem');
  assert.equal(file.config?.tlsKey, 'f-k.pem');
  assert.equal(file.config?.logLevel, 'error');
});

test('--version asks for the version', () => {
  assert.equal(parseCli(['--version'], {}).version, true);
});
