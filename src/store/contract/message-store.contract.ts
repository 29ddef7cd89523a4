import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { headOf, nextHead } from '../../messages/fold.ts';
import type { MessageStore } from '../../messages/message-store.ts';
import { type Message, MessageAction } from '../../protocol/index.ts';

export interface MessageStoreContractOptions {
  name: string;
  create(t: TestContext): Promise<MessageStore>;
  skipAll?: string | false;
}

const CH = 'app:room';
const created: Message = {
  serial: 'e-000000000001:000',
  id: 'c:0:0',
  name: 'reply',
  data: 'Hel',
  clientId: 'agent',
  timestamp: 1,
};
const op = (action: number, data: Message['data'], seq: number): Message => ({
  ...created,
  action,
  data,
  version: { serial: `e-${String(seq).padStart(12, '0')}:000`, timestamp: seq },
});

/** Applies `o` to `store` the way MessageService does (head read, next head computed, seed on first operation). */
async function apply(store: MessageStore, o: Message): Promise<void> {
  const head = await store.head(CH, created.serial as string);
  await store.apply(CH, {
    serial: created.serial as string,
    next: nextHead(head ?? headOf(created), o),
    mode: o.action === MessageAction.APPEND ? 'append' : 'replace',
    data: o.data,
    seed: head ? undefined : created,
    op: o,
  });
}

/** The MessageStore contract (STYLE habit 2). */
export function runMessageStoreContract(o: MessageStoreContractOptions): void {
  describe(`MessageStore contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('knows nothing of messages never operated on', async (t) => {
      const store = await o.create(t);
      assert.equal(await store.head(CH, created.serial as string), undefined);
      assert.equal((await store.latest(CH, [created.serial as string])).size, 0);
      assert.deepEqual(await store.operations(CH, created.serial as string), []);
    });

    it('appends onto the data as created, shows the result as an update, and lists the operations in order', async (t) => {
      const store = await o.create(t);
      await apply(store, op(MessageAction.APPEND, 'lo', 2));
      await apply(store, op(MessageAction.APPEND, ' there', 3));
      const latest = (await store.latest(CH, [created.serial as string, 'unknown'])).get(created.serial as string);
      assert.equal(latest?.data, 'Hello there');
      assert.equal(latest?.action, MessageAction.UPDATE);
      assert.equal(latest?.version?.serial, 'e-000000000003:000');
      assert.equal(latest?.name, 'reply');
      const head = await store.head(CH, created.serial as string);
      assert.equal(head?.dataType, 'string');
      assert.equal('data' in (head?.message ?? {}), false, 'a head carries no data');
      assert.deepEqual(
        (await store.operations(CH, created.serial as string)).map((m) => m.data),
        ['lo', ' there'],
      );
    });

    it('an update replaces the data, a delete marks the message deleted; binary data stays binary', async (t) => {
      const store = await o.create(t);
      await apply(store, op(MessageAction.UPDATE, Buffer.from([1, 2]), 2));
      await apply(store, op(MessageAction.APPEND, Buffer.from([3]), 3));
      let latest = (await store.latest(CH, [created.serial as string])).get(created.serial as string);
      assert.deepEqual(latest?.data, Buffer.from([1, 2, 3]));
      await apply(store, op(MessageAction.DELETE, null, 4));
      latest = (await store.latest(CH, [created.serial as string])).get(created.serial as string);
      assert.equal(latest?.action, MessageAction.DELETE);
      assert.equal(latest?.data ?? null, null);
      assert.equal((await store.operations(CH, created.serial as string)).length, 3);
    });
  });
}
