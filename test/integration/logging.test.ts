import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import * as Ably from 'ably';
import { createLogger } from '../../src/observability/logger.ts';
import { listening, runCli } from '../helpers/cli.ts';
import { Collector, connectionState, PROTOCOLS, startServer, TEST_KEY } from '../helpers/server.ts';
import { dropTransport, reconnected } from '../helpers/transport.ts';

interface Line {
  level: number;
  msg: string;
  connectionId?: string;
  reason?: string;
  code?: number;
}

/** A server whose logger (the real pino one, JSON) writes into a Collector of parsed records. */
async function loggedServer(t: TestContext, level: 'debug' | 'info') {
  const raw: string[] = [];
  const records = new Collector<Line>();
  const destination = {
    write: (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        raw.push(line);
        records.push(JSON.parse(line) as Line);
      }
    },
  };
  const logger = await createLogger({ level, now: () => 0, pretty: false, destination });
  const s = await startServer(t, { logger });
  return { s, raw, records };
}

const SECRET = TEST_KEY.split(':')[1] as string;

describe('connection lifecycle at debug', () => {
  for (const protocol of PROTOCOLS) {
    test(`${protocol}: opened, disconnected, resumed, closed and refused are one debug line each, with reasons`, async (t) => {
      const { s, raw, records } = await loggedServer(t, 'debug');
      const tokenDetails = await s.rest({ protocol }).auth.requestToken({ clientId: 'log-user' });
      const client = s.realtime({ protocol, token: tokenDetails.token, key: undefined });
      await connectionState(client, 'connected');
      const id = client.connection.id as string;
      const of = (phase: string) => (r: Line) => r.msg === `connection ${phase}` && r.connectionId === id;
      await records.until((rs) => rs.some(of('opened')));

      const back = reconnected(client);
      dropTransport(s, client);
      await back;
      await records.until((rs) => rs.some(of('resumed')));
      client.close();
      await connectionState(client, 'closed');
      await records.until((rs) => rs.some(of('closed')));

      const refused = s.realtime({ protocol, key: 'testapp.key1:not-the-secret' });
      await connectionState(refused, 'failed').catch(() => {});
      await records.until((rs) => rs.some((r) => r.msg === 'connection refused'));

      const lifecycle = records.items.filter((r) => r.msg.startsWith('connection '));
      assert.ok(
        lifecycle.every((r) => r.level === 20),
        'lifecycle lines are debug',
      );
      const mine = lifecycle.filter((r) => r.connectionId === id).map((r) => [r.msg, r.reason]);
      assert.deepEqual(mine, [
        ['connection opened', undefined],
        ['connection disconnected', 'socket closed'],
        ['connection resumed', undefined],
        ['connection closed', 'client sent CLOSE'],
      ]);
      const refusal = lifecycle.find((r) => r.msg === 'connection refused');
      assert.equal(refusal?.code, 40101);
      const text = raw.join('\n');
      assert.ok(!text.includes(SECRET), 'the key secret is never logged');
      assert.ok(!text.includes('not-the-secret'), 'a wrong secret is never logged either');
      assert.ok(!text.includes(tokenDetails.token), 'the token is never logged');
    });
  }

  test('at info there are no per-connection lines', async (t) => {
    const { s, records } = await loggedServer(t, 'info');
    const client = s.realtime();
    await connectionState(client, 'connected');
    client.close();
    await connectionState(client, 'closed');
    assert.deepEqual(records.items, []);
  });
});

describe('the CLI’s output', () => {
  const KEY = 'logapp.k:a-very-configured-secret';

  /** Connects with a token cut from KEY, enters presence and publishes, then closes; returns the token. */
  async function tokenSession(t: TestContext, port: number): Promise<string> {
    const options = { endpoint: 'localhost', port, tls: false, logLevel: 0 };
    const tokenDetails = await new Ably.Rest({ ...options, key: KEY }).auth.requestToken({ clientId: 'agent-7' });
    const client = new Ably.Realtime({ ...options, token: tokenDetails.token });
    t.after(() => client.close());
    const channel = client.channels.get('session-42');
    await channel.presence.enter({ model: 'x' });
    await channel.publish('note', 'hello');
    client.close();
    await connectionState(client, 'closed');
    return tokenDetails.token;
  }

  test('ROLLCALL_LOG_LEVEL=debug: every line is JSON, lifecycle lines appear, no secret or token anywhere', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--key', KEY], { ROLLCALL_LOG_LEVEL: 'debug' });
    const { port } = await listening(cli);
    const token = await tokenSession(t, port);
    const bad = new Ably.Realtime({ key: 'logapp.k:wrong-secret', endpoint: 'localhost', port, tls: false, logLevel: 0 });
    t.after(() => bad.close());
    await connectionState(bad, 'failed').catch(() => {});
    await cli.record(/"msg":"connection refused"/);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);

    const records = cli.records();
    assert.ok(records.some((r) => r.level === 20 && r.msg === 'connection opened' && r.clientId === 'agent-7'));
    assert.ok(records.some((r) => r.level === 20 && r.msg === 'connection closed' && r.reason === 'client sent CLOSE'));
    const everything = cli.lines.items.join('\n') + cli.stderr();
    assert.equal(cli.stderr(), '', 'nothing is printed outside the log records');
    for (const secret of ['a-very-configured-secret', 'wrong-secret', token]) {
      assert.ok(!everything.includes(secret), `${secret.slice(0, 12)}… is not in the output`);
    }
  });

  test('--log-level wins over ROLLCALL_LOG_LEVEL: at info the same session logs no debug line', async (t) => {
    const cli = runCli(t, ['--port', '0', '--host', '127.0.0.1', '--key', KEY, '--log-level', 'info'], {
      ROLLCALL_LOG_LEVEL: 'debug',
    });
    const { port } = await listening(cli);
    await tokenSession(t, port);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
    const levels = cli.records().map((r) => r.level);
    assert.ok(levels.length >= 3, 'banner, signal and stop are logged');
    assert.ok(
      levels.every((l) => l >= 30),
      `only info and above: ${levels}`,
    );
  });
});
