import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, levelEnabled, textLogger } from './logger.ts';

/** A destination stream that keeps every line written to it. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return Object.assign(stream, { lines });
}

test('records are JSON lines with the numeric level, the injected time, msg and fields', async () => {
  const out = capture();
  const logger = await createLogger({ level: 'info', now: () => 1234, pretty: false, destination: out });
  logger.info({ port: 8080, keys: ['a.b'] }, 'listening');
  logger.error({ err: new Error('boom') }, 'internal error');
  assert.equal(out.lines.length, 2);
  const [info, error] = out.lines.map((l) => JSON.parse(l));
  assert.equal(info.level, 30);
  assert.equal(info.time, 1234);
  assert.equal(info.msg, 'listening');
  assert.equal(info.port, 8080);
  assert.deepEqual(info.keys, ['a.b']);
  assert.equal(error.level, 50);
  assert.equal(error.err.message, 'boom');
  assert.match(error.err.stack, /Error: boom/);
});

test('levels below the threshold are not written; silent writes nothing', async () => {
  for (const [level, expected] of [
    ['trace', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']],
    ['debug', ['debug', 'info', 'warn', 'error', 'fatal']],
    ['info', ['info', 'warn', 'error', 'fatal']],
    ['warn', ['warn', 'error', 'fatal']],
    ['fatal', ['fatal']],
    ['silent', []],
  ] as const) {
    const out = capture();
    const logger = await createLogger({ level, now: () => 0, pretty: false, destination: out });
    for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[l]({}, l);
    assert.deepEqual(
      out.lines.map((line) => JSON.parse(line).msg),
      expected,
      `at ${level}`,
    );
    assert.equal(logger.isLevelEnabled('debug'), expected.includes('debug' as never), `isLevelEnabled(debug) at ${level}`);
  }
});

test('fields named like credentials are redacted at the top level and one level down', async () => {
  const out = capture();
  const logger = await createLogger({ level: 'info', now: () => 0, pretty: false, destination: out });
  logger.info({ key: 'app.k:s3cr3t', token: 'tok-123', params: { accessToken: 'tok-456', secret: 's3cr3t' } }, 'oops');
  const text = out.lines.join('\n');
  for (const secret of ['s3cr3t', 'tok-123', 'tok-456']) assert.ok(!text.includes(secret), `${secret} is not written`);
  assert.equal(JSON.parse(out.lines[0] as string).key, '[redacted]');
});

test('textLogger writes message and fields as text, errors with their stack, and filters by level', () => {
  const lines: string[] = [];
  const logger = textLogger((l) => lines.push(l));
  logger.debug({ connectionId: 'c1' }, 'connection opened');
  logger.info({}, 'plain');
  logger.error({ err: new Error('bad') }, 'internal error');
  assert.equal(lines[0], 'plain');
  assert.match(lines[1] as string, /^internal error \{"err":"Error: bad\\n {4}at /);
  assert.equal(lines.length, 2, 'debug is below the default info level');
  const debug: string[] = [];
  textLogger((l) => debug.push(l), 'debug').debug({ connectionId: 'c1' }, 'connection opened');
  assert.deepEqual(debug, ['connection opened {"connectionId":"c1"}']);
});

test('levelEnabled orders levels from fatal to trace', () => {
  assert.ok(levelEnabled('error', 'warn'));
  assert.ok(!levelEnabled('info', 'warn'));
  assert.ok(!levelEnabled('silent', 'trace'), 'silent is a threshold, not a level one logs at');
});

test('pretty mode writes one readable line per record: time, level name, message, fields', async () => {
  const out = capture();
  const logger = await createLogger({ level: 'info', now: () => 0, pretty: true, destination: out });
  logger.debug({}, 'hidden');
  logger.info({ port: 8080 }, 'rollcall listening');
  assert.equal(out.lines.length, 1);
  assert.match(out.lines[0] as string, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: rollcall listening \{"port":8080\}$/);
});
