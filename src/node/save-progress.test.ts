import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingTransport } from '../../test/helpers/recording-transport.ts';
import type { ConnectionDirectory, ConnectionRecord } from '../cluster/connection-directory.ts';
import { resolveConfig } from '../config/index.ts';
import { Action } from '../protocol/index.ts';
import { MemoryBroker } from '../store/memory/memory-broker.ts';
import { MemoryHistoryStore } from '../store/memory/memory-history-store.ts';
import { MemoryPresenceStore } from '../store/memory/memory-presence-store.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { Node } from './node.ts';

const KEY = 'app.key:secret';

/** Records what a node shares about its connections, as the Redis directory would store it. */
class RecordingDirectory implements ConnectionDirectory {
  readonly progress: Array<[string, number]> = [];
  connected(_record: ConnectionRecord): void {}
  progressed(connectionId: string, msgSerial: number): void {
    this.progress.push([connectionId, msgSerial]);
  }
  disconnected(): void {}
  forget(): void {}
  async claim(): Promise<undefined> {
    return undefined;
  }
}

/** Lets the auth and per-connection inbound promise chains run to completion. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('cluster mode: the liveness sweep shares msgSerial progress, once per change', async () => {
  const clock = new ManualClock();
  const config = resolveConfig({ keys: [{ key: KEY }] });
  const directory = new RecordingDirectory();
  const history = new MemoryHistoryStore(clock, { maxAge: config.historyMaxAge, maxPerChannel: config.historyMaxPerChannel });
  const node = new Node({
    config,
    clock,
    directory,
    presenceStore: new MemoryPresenceStore(),
    broker: new MemoryBroker(history),
    history,
  });
  const transport = new RecordingTransport();
  const events = node.open(transport, new URLSearchParams({ key: KEY, format: 'json', v: '6' }));
  await settle();
  const connectionId = JSON.parse(String(transport.sent[0])).connectionId as string;
  const publish = (msgSerial: number) =>
    events.onFrame(
      Buffer.from(JSON.stringify({ action: Action.MESSAGE, channel: 'c', msgSerial, messages: [{ data: 'x' }] })),
      false,
    );

  for (const serial of [0, 1, 2]) publish(serial);
  await settle();
  clock.advance(1000);
  assert.deepEqual(directory.progress, [[connectionId, 2]]);
  clock.advance(1000);
  assert.deepEqual(directory.progress, [[connectionId, 2]], 'nothing new, nothing written');
  publish(3);
  await settle();
  clock.advance(1000);
  assert.deepEqual(directory.progress, [
    [connectionId, 2],
    [connectionId, 3],
  ]);
  node.shutdown();
});
