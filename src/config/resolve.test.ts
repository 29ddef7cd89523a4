import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from './config.ts';
import { resolveConfig } from './resolve.ts';

test('defaults fill everything not given; given values win; undefined means "not given"', () => {
  const c = resolveConfig({ port: 0, maxMessageSize: 1000, heartbeatInterval: undefined });
  assert.equal(c.port, 0);
  assert.equal(c.maxMessageSize, 1000);
  assert.equal(c.heartbeatInterval, DEFAULT_CONFIG.heartbeatInterval);
  assert.equal(c.connectionStateTtl, 120_000);
  assert.equal(c.maxFrameSize, DEFAULT_CONFIG.maxFrameSize);
  assert.deepEqual(c.keys, []);
});

test('the documented Ably defaults', () => {
  const c = resolveConfig();
  assert.equal(c.maxMessageSize, 65536);
  assert.equal(c.connectionStateTtl, 120_000);
  assert.equal(c.heartbeatInterval, 15_000);
  assert.equal(c.remainPresentFor, 15_000);
  assert.equal(c.port, 8080);
});

test('serverId is unique per resolve unless given', () => {
  assert.notEqual(resolveConfig().serverId, resolveConfig().serverId);
  assert.equal(resolveConfig({ serverId: 'fixed' }).serverId, 'fixed');
});

test('non-positive or non-finite limits are refused, naming the setting', () => {
  for (const [name, value] of [
    ['maxMessageSize', 0],
    ['maxFrameSize', -1],
    ['heartbeatInterval', Number.NaN],
    ['syncPageSize', Number.POSITIVE_INFINITY],
    ['maxInboundRate', 0],
  ] as const) {
    assert.throws(() => resolveConfig({ [name]: value }), new RegExp(name), `${name}=${value}`);
  }
});

test('settings that may be zero must not be negative', () => {
  assert.equal(resolveConfig({ heartbeatMargin: 0, maxConnectionsPerKey: 0, shutdownDrainTime: 0 }).heartbeatMargin, 0);
  assert.throws(() => resolveConfig({ heartbeatMargin: -1 }), /heartbeatMargin/);
  assert.throws(() => resolveConfig({ shutdownDrainTime: -5 }), /shutdownDrainTime/);
});

test('port must be an integer in 0..65535', () => {
  assert.equal(resolveConfig({ port: 65535 }).port, 65535);
  for (const port of [-1, 65536, 1.5]) assert.throws(() => resolveConfig({ port }), /port/, String(port));
});

test('relations between settings are checked', () => {
  assert.throws(() => resolveConfig({ minHeartbeatInterval: 10_000, maxHeartbeatInterval: 5_000 }), /minHeartbeatInterval/);
  assert.throws(() => resolveConfig({ minRemainPresentFor: 10_000, maxRemainPresentFor: 5_000 }), /minRemainPresentFor/);
  assert.throws(() => resolveConfig({ maxMessageSize: 2000, maxFrameSize: 1000 }), /maxMessageSize/);
  assert.throws(() => resolveConfig({ connectionStateTtl: 1000, remainPresentFor: 2000 }), /connectionStateTtl/);
  assert.equal(resolveConfig({ connectionStateTtl: 2000, remainPresentFor: 2000 }).connectionStateTtl, 2000);
});

test('keys must be well formed and unique by name; the secret is not echoed in the error', () => {
  assert.equal(resolveConfig({ keys: [{ key: 'app.k1:s1' }, { key: 'app.k2:s2' }] }).keys.length, 2);
  assert.throws(
    () => resolveConfig({ keys: [{ key: 'nodot:secret' }] }),
    (err: Error) => /malformed key/.test(err.message) && !err.message.includes('secret'),
  );
  assert.throws(() => resolveConfig({ keys: [{ key: 'app.k1' }] }), /malformed key/);
  assert.throws(() => resolveConfig({ keys: [{ key: 'app.k1:a' }, { key: 'app.k1:b' }] }), /duplicate key app\.k1/);
});

test('logLevel is one of the known levels; tlsCert and tlsKey come as a pair of paths', () => {
  assert.equal(resolveConfig().logLevel, 'info');
  assert.equal(resolveConfig({ logLevel: 'debug' }).logLevel, 'debug');
  assert.throws(() => resolveConfig({ logLevel: 'verbose' as never }), /logLevel must be one of fatal, error, warn/);
  assert.throws(() => resolveConfig({ tlsCert: 'cert.pem' }), /tlsCert and tlsKey go together/);
  assert.throws(() => resolveConfig({ tlsKey: 'key.pem' }), /tlsCert and tlsKey go together/);
  assert.throws(() => resolveConfig({ tlsCert: '', tlsKey: 'key.pem' }), /tlsCert must be a file path/);
  assert.equal(resolveConfig({ tlsCert: 'c.pem', tlsKey: 'k.pem' }).tlsKey, 'k.pem');
});

test('metrics is on by default and must be a boolean; metricsToken must be long and printable, never echoed', () => {
  assert.equal(resolveConfig().metrics, true);
  assert.equal(resolveConfig({ metrics: false }).metrics, false);
  assert.throws(() => resolveConfig({ metrics: 'no' as unknown as boolean }), /metrics must be true or false/);
  assert.equal(resolveConfig({ metricsToken: 'a-long-enough-token-123' }).metricsToken, 'a-long-enough-token-123');
  for (const metricsToken of ['short', 'has a space in it here', 'tab\tseparated-token-value']) {
    assert.throws(
      () => resolveConfig({ metricsToken }),
      (err: Error) => /metricsToken/.test(err.message) && !err.message.includes(metricsToken),
    );
  }
});
