import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Invocation } from '@ably/ai-transport';
import { createAgentSession, createClientSession, createUIMessageCodec } from '@ably/ai-transport/vercel';
import type { UIMessage, UIMessageChunk } from 'ai';
import { TcpProxy } from '../cluster/cluster-helpers.ts';
import { connectionState } from '../helpers/server.ts';
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
function reply(tokens: string[], gate?: (i: number) => Promise<void>, signal?: AbortSignal): ReadableStream<UIMessageChunk> {
  let i = 0;
  return new ReadableStream<UIMessageChunk>({
    start(c) {
      c.enqueue({ type: 'start' });
      c.enqueue({ type: 'text-start', id: 't1' });
    },
    async pull(c) {
      if (i < tokens.length) {
        await gate?.(i);
        // A model stops generating when the run is cancelled.
        if (signal?.aborted) {
          c.close();
          return;
        }
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

/** A gate the test opens: tokens wait at `at` until `open()`. */
function gateAt(at: number): { wait: (i: number) => Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { wait: (i) => (i === at ? opened : Promise.resolve()), open: () => open() };
}

/**
 * The synthetic "model" emits its tokens as fast as the agent can send them, far faster than a real one: above the
 * default maxInboundRate (250 operations/s per connection) appends would be refused with 42910, so the tests raise it.
 */
const SERVER = { maxInboundRate: 100_000 };

const userMessage = (text: string): UIMessage => ({ id: `u-${text}`, role: 'user', parts: [{ type: 'text', text }] });

type Session = ReturnType<typeof createClientSession>;
type Realtime = Parameters<typeof createClientSession>[0]['client'];

/** A client session on the channel, closed when the test ends; `withHistory` loads the whole conversation first. */
async function openSession(t: TestContext, client: Realtime, channelName: string, o: { withHistory?: boolean } = {}) {
  const session: Session = createClientSession({ client, channelName });
  await session.connect();
  t.after(() => session.close());
  if (o.withHistory) while (session.view.hasOlder()) await session.view.loadOlder();
  return session;
}

/** The agent's side of a run the user started: its own session, the conversation loaded, the run started. */
async function startAgentRun(t: TestContext, client: Realtime, channelName: string, run: { toInvocation(): Invocation }) {
  const agent = createAgentSession({ client, channelName });
  await agent.connect();
  t.after(() => agent.end());
  const agentRun = agent.createRun(Invocation.fromJSON(run.toInvocation().toJSON()));
  while (agentRun.view.hasOlder()) await agentRun.view.loadOlder();
  await agentRun.start();
  return agentRun;
}

for (const backend of BACKENDS) {
  describe(`@ably/ai-transport 0.8.0 with the Vercel codec (${backend.name})`, { skip: backend.skip }, () => {
    it('a prompt and a long streamed reply reach the client whole; history gives one entry per message', {
      timeout: 60_000,
    }, async (t) => {
      const [a, b] = await backend.start(t, SERVER);
      const channelName = 'ai:long';
      const user = await openSession(t, a.realtime({ clientId: 'user' }), channelName);
      const run = await user.view.send(codec.createUserMessage(userMessage('tell me a story')));

      const agentRun = await startAgentRun(t, b.realtime({ clientId: 'agent' }), channelName, run);
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
      const fresh = await openSession(t, b.realtime({ clientId: 'observer' }), channelName, { withHistory: true });
      await viewUntil(fresh, () => assistantText(fresh) === full);
      const roles = fresh.view.getMessages().map((m) => (m.message as UIMessage).role);
      assert.deepEqual(roles, ['user', 'assistant']);
    });

    it('a device joining mid-stream and a client dropping mid-stream both end with the exact full text', {
      timeout: 60_000,
    }, async (t) => {
      const [a, b] = await backend.start(t, SERVER);
      const channelName = 'ai:devices';
      const proxy = new TcpProxy(a.port);
      await proxy.listen(t);
      const phoneClient = a.realtime({ clientId: 'user', port: proxy.port });
      const phone = await openSession(t, phoneClient, channelName);
      const run = await phone.view.send(codec.createUserMessage(userMessage('stream please')));

      const agentRun = await startAgentRun(t, b.realtime({ clientId: 'agent' }), channelName, run);
      const tokens = Array.from({ length: 200 }, (_, i) => `t${i} `);
      const half = gateAt(100);
      const piped = agentRun.pipe(reply(tokens, half.wait));
      const sofar = tokens.slice(0, 100).join('');
      await viewUntil(phone, () => assistantText(phone) === sofar);

      // A second device joins while the reply is half written, on the other node.
      const laptop = await openSession(t, b.realtime({ clientId: 'user' }), channelName, { withHistory: true });

      // The phone loses its connection; the rest of the reply is written while it is away.
      phoneClient.connection.once('disconnected', () => half.open());
      proxy.dropAll();
      await piped;
      await agentRun.end({ reason: 'complete' });
      await connectionState(phoneClient, 'connected');

      const full = tokens.join('');
      await viewUntil(laptop, () => assistantText(laptop) === full);
      await viewUntil(phone, () => assistantText(phone) === full);
      assert.equal(assistantText(phone), full, 'no gap and no duplicate after the resume');
      assert.equal(assistantText(laptop), full, 'the late device has the text from before it joined, once');
    });

    it('cancel stops the stream and keeps the partial text', { timeout: 60_000 }, async (t) => {
      const [a, b] = await backend.start(t, SERVER);
      const channelName = 'ai:cancel';
      const user = await openSession(t, a.realtime({ clientId: 'user' }), channelName);
      const run = await user.view.send(codec.createUserMessage(userMessage('never mind')));
      const agentRun = await startAgentRun(t, b.realtime({ clientId: 'agent' }), channelName, run);
      const tokens = Array.from({ length: 100 }, (_, i) => `c${i} `);
      // Token 30 waits until the agent sees the cancel.
      const aborted = new Promise<void>((r) => agentRun.abortSignal.addEventListener('abort', () => r(), { once: true }));
      const piped = agentRun.pipe(reply(tokens, (i) => (i === 30 ? aborted : Promise.resolve()), agentRun.abortSignal));
      const partial = tokens.slice(0, 30).join('');
      await viewUntil(user, () => assistantText(user) === partial);
      await run.cancel();
      await piped;
      await agentRun.end({ reason: 'cancelled' });

      const fresh = await openSession(t, b.realtime({ clientId: 'observer' }), channelName, { withHistory: true });
      await viewUntil(fresh, () => (assistantText(fresh) ?? '').length > 0);
      assert.equal(assistantText(fresh), partial, 'the partial text is kept, and nothing after the cancel');
      assert.equal(assistantText(user), partial);
    });
  });
}
