import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli } from '../cli/args.ts';
import { resolveConfig } from './index.ts';
import { parseConfigFile } from './load-file.ts';

const YAML = `
port: 9100
maxConnectionsPerKey: 50
keys:
  - key: app.server:s3cret
  - key: app.browser:an0ther
    capability:
      "chat:*": [presence, subscribe]
  - key: app.json:th1rd
    capability: '{"*":["subscribe"]}'
`;

test('a YAML config file gives keys with capabilities and any setting', () => {
  const config = resolveConfig(parseConfigFile(YAML, 'rollcall.yaml'));
  assert.equal(config.port, 9100);
  assert.equal(config.maxConnectionsPerKey, 50);
  assert.deepEqual(config.keys, [
    { key: 'app.server:s3cret' },
    { key: 'app.browser:an0ther', capability: { 'chat:*': ['presence', 'subscribe'] } },
    { key: 'app.json:th1rd', capability: { '*': ['subscribe'] } },
  ]);
});

test('a JSON config file reads the same way', () => {
  const json = JSON.stringify({ keys: [{ key: 'a.b:c', capability: { room: ['publish'] } }], tokenRenewLead: 5000 });
  assert.deepEqual(parseConfigFile(json, 'rollcall.json'), {
    keys: [{ key: 'a.b:c', capability: { room: ['publish'] } }],
    tokenRenewLead: 5000,
  });
});

test('unknown settings, bad capabilities and bad syntax are refused, naming the file and never the secret', () => {
  assert.throws(() => parseConfigFile('prot: 1', 'c.yaml'), /c.yaml: unknown setting "prot"/);
  assert.throws(() => parseConfigFile('{', 'c.json'), /c.json: not valid JSON/);
  assert.throws(() => parseConfigFile('keys: {a: 1}', 'c.yaml'), /keys must be a list/);
  assert.throws(
    () => parseConfigFile('keys:\n  - key: a.b:topsecret\n    capability: {"x": "publish"}', 'c.yaml'),
    (err: Error) => /capability of keys\[0\] \(a.b\)/.test(err.message) && !err.message.includes('topsecret'),
  );
  // Values are checked by resolveConfig, like every other source of settings.
  assert.throws(() => resolveConfig(parseConfigFile('maxFrameSize: -1', 'c.yaml')), /maxFrameSize/);
});

test('--config / ROLLCALL_CONFIG load the file; flags and environment override it', () => {
  const files: Record<string, string> = { '/etc/rollcall.yaml': YAML };
  const read = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };
  const fromFlag = parseCli(['--config', '/etc/rollcall.yaml'], {}, read);
  assert.equal(fromFlag.config?.port, 9100);
  assert.equal(fromFlag.config?.keys?.length, 3);
  assert.equal(fromFlag.generatedKey, undefined);

  const fromEnv = parseCli(['--port', '9200'], { ROLLCALL_CONFIG: '/etc/rollcall.yaml', ROLLCALL_KEYS: 'x.y:z' }, read);
  assert.equal(fromEnv.config?.port, 9200);
  assert.deepEqual(fromEnv.config?.keys, [{ key: 'x.y:z' }]);
  assert.equal(fromEnv.config?.maxConnectionsPerKey, 50);

  assert.throws(() => parseCli(['--config', '/missing.yaml'], {}, read), /cannot read config file \/missing.yaml/);
});

test('optional settings without a default, such as redisUrl, may be set in the file', () => {
  assert.deepEqual(parseConfigFile('redisUrl: redis://127.0.0.1:6379', 'cluster.yaml'), { redisUrl: 'redis://127.0.0.1:6379' });
});
