import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigFile } from './load-file.ts';
import { describeRedisTarget, parseRedisTarget } from './redis-target.ts';
import { resolveConfig } from './resolve.ts';

test('a plain URL is one server', () => {
  assert.deepEqual(parseRedisTarget('redis://127.0.0.1:6379'), { kind: 'single', url: 'redis://127.0.0.1:6379' });
  assert.deepEqual(parseRedisTarget('rediss://:pw@host/2'), { kind: 'single', url: 'rediss://:pw@host/2' });
});

test('redis+cluster:// lists seed nodes, with credentials and TLS', () => {
  assert.deepEqual(parseRedisTarget('redis+cluster://a:7000,b:7001,c'), {
    kind: 'cluster',
    nodes: [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
      { host: 'c', port: 6379 },
    ],
    tls: false,
  });
  assert.deepEqual(parseRedisTarget('rediss+cluster://u:p%40ss@[::1]:7000'), {
    kind: 'cluster',
    nodes: [{ host: '::1', port: 7000 }],
    tls: true,
    username: 'u',
    password: 'p@ss',
  });
});

test('a config file list of redis:// URLs is a cluster by its seed nodes', () => {
  const file = parseConfigFile('redisUrl:\n  - redis://:secret@10.0.0.1:7000\n  - redis://10.0.0.2:7000\n', 'c.yaml');
  const config = resolveConfig(file);
  assert.deepEqual(parseRedisTarget(config.redisUrl as string[]), {
    kind: 'cluster',
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7000 },
    ],
    tls: false,
    password: 'secret',
  });
});

test('redis+sentinel:// names the sentinels, the master and optionally a database', () => {
  assert.deepEqual(parseRedisTarget('redis+sentinel://:pw@s1,s2:26380/mymaster/3'), {
    kind: 'sentinel',
    sentinels: [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ],
    name: 'mymaster',
    db: 3,
    tls: false,
    password: 'pw',
  });
  assert.equal(describeRedisTarget(parseRedisTarget('redis+sentinel://:pw@s1/m')), 'redis+sentinel://s1:26379/m');
  assert.equal(describeRedisTarget(parseRedisTarget('redis://:pw@h:1')), 'redis://***@h:1');
});

test('bad values are refused at start-up, naming the setting', () => {
  for (const bad of [
    'localhost:6379',
    'redis://a:1,b:2',
    'redis+sentinel://s1:26379',
    'redis+cluster://a:1/2',
    'redis+cluster://a:99999',
  ]) {
    assert.throws(() => resolveConfig({ redisUrl: bad }), /config: (redisUrl|a redis)/, bad);
  }
  assert.throws(() => resolveConfig({ redisUrl: [] }), /config: redisUrl/);
  assert.throws(() => resolveConfig({ redisUrl: ['redis+sentinel://s/m'] }), /not sentinels/);
});
