// The server-sent events of /dashboard/api/stream, read with fetch so the token travels in a header (EventSource
// cannot set one, and a token in the URL would end up in logs). Reconnects with backoff; each new stream starts
// with a full snapshot, announced by onOpen so the caller can drop what it had.

export class EventStream {
  constructor(session, handlers) {
    this.session = session;
    this.handlers = handlers;
    this.stopped = false;
    this.controller = undefined;
    this.failures = 0;
  }

  start() {
    this.run();
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  async run() {
    while (!this.stopped) {
      try {
        this.controller = new AbortController();
        const res = await fetch('api/stream', {
          headers: { authorization: await this.session.header(), accept: 'text/event-stream' },
          signal: this.controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        this.failures = 0;
        this.handlers.onOpen?.();
        await this.read(res.body);
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        this.handlers.onError?.(err);
      }
      if (this.stopped) return;
      this.handlers.onClose?.();
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(this.failures, 5))));
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  dispatch(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    this.handlers.onEvent?.(event, JSON.parse(data.join('\n')));
  }
}
