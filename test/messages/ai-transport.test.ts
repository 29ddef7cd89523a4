import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invocation } from '@ably/ai-transport';
import { createAgentSession, createClientSession, createUIMessageCodec } from '@ably/ai-transport/vercel';
import type { UIMessage, UIMessageChunk } from 'ai';
import { BACKENDS } from './backends.ts';

const codec = createUIMessageCodec();

/** The text of the last assistant message a session's view shows. */
function assistantText(session: ReturnType<typeof createClientSession>): string | undefined {
  const messages = session.view.getMessages().map((m) => m.message as UIMessage);
  const last = messages.filter((m) => m.role === 'assistant').at(-1);
  return last?.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** Resolves once `predicate` holds for the session's view (checked on every view update). */
function viewUntil(session: ReturnType<typeof createClientSession>, predicate: () => boolean): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = session.view.on('update', () => {
      if (!predicate()) return;
      off();
      resolve();
    });
  });
}

/** A model's output: the UI message chunks of one text reply, one chunk per token; `gate` paces the tokens. */
function reply(tokens: string[], gate?: (i: number) => Promise<void>): ReadableStream<UIMessageChunk> {
  let i = 0;
  return new ReadableStream<UIMessageChunk>({
    start(c) {
      c.enqueue({ type: 'start' });
      c.enqueue({ type: 'text-start', id: 't1' });
    },
    async pull(c) {
      if (i < tokens.length) {
        await gate?.(i);
        c.enqueue({ type: 'text-delta', id: 't1', delta: tokens[i] as string });
        i++;
        return;
      }
      c.enqueue({ type: 'text-end', id: 't1' });
      c.enqueue({ type: 'finish' });
      c.close();
    },
  });
}

const userMessage = (text: string): UIMessage => ({ id: `u-${text}`, role: 'user', parts: [{ type: 'text', text }] });

for (const backend of BACKENDS) {
  describe(`@ably/ai-transport 0.8.0 with the Vercel codec (${backend.name})`, { skip: backend.skip }, () => {
    it('a prompt and a long streamed reply reach the client whole; history gives one entry per message', async (t) => {
      const [a, b] = await backend.start(t);
      const channelName = 'ai:long';
      const user = createClientSession({ client: a.realtime({ clientId: 'user' }), channelName });
      await user.connect();
      t.after(() => user.close());
      const run = await user.view.send(codec.createUserMessage(userMessage('tell me a story')));

      const agent = createAgentSession({ client: b.realtime({ clientId: 'agent' }), channelName });
      await agent.connect();
      t.after(() => agent.end());
      const agentRun = agent.createRun(Invocation.fromJSON(run.toInvocation().toJSON()));
      while (agentRun.view.hasOlder()) await agentRun.view.loadOlder();
      await agentRun.start();
      const tokens = Array.from({ length: 300 }, (_, i) => `w${i} `);
      await agentRun.pipe(reply(tokens));
      await agentRun.end({ reason: 'complete' });
      const full = tokens.join('');
      await viewUntil(user, () => assistantText(user) === full);

      const history = await a.rest().channels.get(channelName).history({ limit: 1000 });
      const serials = history.items.map((m) => m.serial);
      assert.equal(new Set(serials).size, serials.length, 'one history entry per message serial');
      assert.ok(history.items.length < 50, `a 300-token reply is not 300 history entries (${history.items.length})`);
      const stream = history.items.find((m) => typeof m.data === 'string' && m.data === full);
      assert.ok(stream, 'the streamed message is in history with its full text');

      // A fresh agent rebuilds the conversation from history alone.
      const fresh = createClientSession({ client: b.realtime({ clientId: 'observer' }), channelName });
      await fresh.connect();
      t.after(() => fresh.close());
      while (fresh.view.hasOlder()) await fresh.view.loadOlder();
      await viewUntil(fresh, () => assistantText(fresh) === full);
      const roles = fresh.view.getMessages().map((m) => (m.message as UIMessage).role);
      assert.deepEqual(roles, ['user', 'assistant']);
    });
  });
}
