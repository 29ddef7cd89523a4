import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listening, runCli } from '../helpers/cli.ts';
import { redisSkip, startRedis, type TestRedis } from '../helpers/redis.ts';
import { TEST_KEY } from '../helpers/server.ts';

const skip = redisSkip();
const redis = (skip ? undefined : await startRedis({ after })) as TestRedis;

describe('cluster on Redis: what the compiled node logs', { skip }, () => {
  it('joining is info, a Redis outage is one error record and its end one info record, all JSON', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rollcall-logs-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'node.json');
    writeFileSync(config, JSON.stringify({ keys: [TEST_KEY], redisPrefix: redis.prefix(t), nodeHeartbeatInterval: 100 }));
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--redis', redis.url, '--config', config]);
    const joined = await cli.record(/"msg":"cluster: node \S+ joined via redis:\/\/127\.0\.0\.1:\d+ /);
    assert.equal(joined.level, 30);
    const { record } = await listening(cli);
    assert.equal(record.mode, 'cluster');

    await redis.stop();
    const down = await cli.record(/"msg":"cluster: Redis unreachable; serving local clients only"/);
    assert.equal(down.level, 50);
    await redis.start();
    const up = await cli.record(/"msg":"cluster: Redis reachable again; re-asserting members"/);
    assert.equal(up.level, 30);

    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
    const records = cli.records(); // every line parses as a JSON record
    assert.equal(cli.stderr(), '', 'nothing is printed outside the log records (no stray client-library output)');
    assert.equal(records.filter((r) => /Redis unreachable/.test(r.msg)).length, 1, 'one outage, one error record');
    assert.ok(!cli.lines.items.join('\n').includes(TEST_KEY.split(':')[1] as string), 'no key secret');
  });
});
