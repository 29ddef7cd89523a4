import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Collector } from './server.ts';

/** One server-sent event of /dashboard/api/stream, parsed. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/** What POST /dashboard/api/login answers. */
export interface Login {
  token: string;
  expires: number;
  appId: string;
  keyName: string;
  capability: string;
}

const basic = (key: string) => `Basic ${Buffer.from(key).toString('base64')}`;
export const bearer = (token: string) => `Bearer ${Buffer.from(token).toString('base64')}`;

/** POSTs to the login endpoint with an Authorization header; returns the status and body. */
export async function dashboardLogin(port: number, authorization: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}/dashboard/api/login`, { method: 'POST', headers: { authorization } });
  return { status: res.status, body: await res.json() };
}

/** Logs in with an API key and returns the dashboard token. */
export async function loginWithKey(port: number, key: string): Promise<Login> {
  const { status, body } = await dashboardLogin(port, basic(key));
  assert.equal(status, 200, JSON.stringify(body));
  return body as Login;
}

/** Opens the event stream with a token; events are collected as they arrive. Aborted when the test ends. */
export async function openStream(t: TestContext, port: number, token: string): Promise<Collector<StreamEvent>> {
  const abort = new AbortController();
  t.after(() => abort.abort());
  const res = await fetch(`http://127.0.0.1:${port}/dashboard/api/stream`, {
    headers: { authorization: bearer(token) },
    signal: abort.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = new Collector<StreamEvent>();
  const body = res.body;
  assert.ok(body);
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {}); // aborted at test end
  return events;
}

/** The latest data of `event` satisfying `predicate` among events from index `from` on, waiting for it. */
export async function latest<T>(
  events: Collector<StreamEvent>,
  event: string,
  predicate: (data: T) => boolean,
  from = 0,
): Promise<T> {
  const match = (e: StreamEvent) => e.event === event && predicate(e.data as T);
  const items = await events.until((all) => all.slice(from).some(match));
  return items.slice(from).filter(match).at(-1)?.data as T;
}
