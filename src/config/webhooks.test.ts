import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from './index.ts';
import { parseConfigFile } from './load-file.ts';

const KEYS = 'keys:\n  - key: myapp.server:s3cret\n';
const withHook = (hook: string) => resolveConfig(parseConfigFile(`${KEYS}webhooks:\n  - ${hook}\n`, 'c.yaml'));

test('a webhook as the issue writes it is accepted with its defaults left to the deliverer', () => {
  const config = resolveConfig(
    parseConfigFile(
      `${KEYS}webhooks:
  - url: http://127.0.0.1:9999/hook
    sources: [channel.presence, client.presence, channel.message, channel.lifecycle, channel.occupancy]
    channelFilter: "^session-"
    enveloped: true
    batched: true
    signWithKey: myapp.server
    headers: { x-team: agents }
webhookBatchWindow: 200
`,
      'c.yaml',
    ),
  );
  assert.equal(config.webhooks.length, 1);
  assert.equal(config.webhooks[0]?.signWithKey, 'myapp.server');
  assert.equal(config.webhookBatchWindow, 200);
  assert.equal(config.webhookBatchMaxItems, 100);
});

test('bad webhooks fail at start-up with a clear message', () => {
  assert.throws(() => withHook('url: not a url\n    sources: [channel.message]'), /webhooks\[0\]\.url is not a valid URL/);
  assert.throws(() => withHook('url: ftp://x/hook\n    sources: [channel.message]'), /url must be http:\/\/ or https:\/\//);
  assert.throws(() => withHook('url: http://x/hook\n    sources: [channel.typing]'), /unknown source "channel.typing"/);
  assert.throws(() => withHook('url: http://x/hook\n    sources: []'), /sources must be a non-empty list/);
  assert.throws(
    () => withHook('url: http://x/hook\n    sources: [channel.message]\n    channelFilter: "(unclosed"'),
    /channelFilter is not a valid regular expression/,
  );
  assert.throws(
    () => withHook('url: http://x/hook\n    sources: [channel.message]\n    signWithKey: myapp.nokey'),
    /signWithKey "myapp.nokey" is not the name/,
  );
  assert.throws(() => withHook('url: http://x/hook\n    sources: [channel.message]\n    retries: 3'), /unknown field "retries"/);
  assert.throws(
    () => withHook('url: http://x/hook\n    sources: [channel.message]\n    headers: { "bad header": x }'),
    /valid header name/,
  );
  assert.throws(() => resolveConfig({ webhookBackoffBase: 5000, webhookBackoffMax: 1000 }), /webhookBackoffBase exceeds/);
  assert.throws(() => resolveConfig({ webhookQueueLimit: 0 }), /webhookQueueLimit must be a positive number/);
  assert.throws(() => resolveConfig({ webhookLeaseTtl: 1000, webhookRequestTimeout: 5000 }), /webhookLeaseTtl must exceed/);
});
