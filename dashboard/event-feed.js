// The channel's presence events: the live feed (from the SDK's presence subscription) and presence history (paged
// through the SDK's presence.history()). Newest first; the live list keeps the latest MAX_LIVE in the DOM.
import { clockTime, dataText, el, serverMadeLeave } from './format.js';

const MAX_LIVE = 300;

/**
 * One presence event as a list item: time, action, who (clientId / device), data, and why it left. `grace` is the
 * grace period the member's connection was in, when the dashboard saw one: a server-made LEAVE then says so.
 */
export function eventItem(m, grace) {
  const li = el('li', `event ${m.action}`);
  li.dataset.action = m.action;
  li.dataset.clientId = m.clientId;
  li.dataset.connectionId = m.connectionId;
  const head = el('div', 'event-head');
  head.append(el('time', 'muted', clockTime(m.timestamp)), el('span', `badge ${m.action}`, m.action));
  head.append(el('span', 'who', m.clientId), el('code', 'conn', m.connectionId));
  li.append(head);
  if (m.action === 'leave') {
    const reason = typeof m.data === 'object' && m.data !== null && typeof m.data.reason === 'string' ? m.data.reason : undefined;
    const why = !serverMadeLeave(m)
      ? reason !== undefined
        ? `reason: ${reason}`
        : 'left'
      : grace && m.timestamp >= grace.endsAt - 1000
        ? `grace period over: connection lost at ${clockTime(grace.since)}`
        : 'by the server: connection closed or grace period over';
    li.append(el('div', 'reason', why));
  }
  const data = dataText(m.data);
  if (data) li.append(el('div', 'data', data));
  return li;
}

export class EventFeed {
  constructor({ live, history, more, tabLive, tabHistory }) {
    Object.assign(this, { live, history, more, tabLive, tabHistory });
    this.page = undefined;
    this.channel = undefined;
    this.pending = [];
    this.frame = 0;
    tabLive.addEventListener('click', () => this.show('live'));
    tabHistory.addEventListener('click', () => this.show('history'));
    more.addEventListener('click', () => this.older());
  }

  reset(channel) {
    this.channel = channel;
    this.page = undefined;
    this.pending = [];
    this.live.replaceChildren();
    this.history.replaceChildren();
    this.more.hidden = true;
    if (this.tabHistory.getAttribute('aria-selected') === 'true') this.loadHistory();
  }

  /** Queues a live event; a burst (a thousand enters) becomes one DOM update per frame of at most MAX_LIVE items. */
  add(m, grace) {
    this.pending.push([m, grace]);
    if (this.pending.length > MAX_LIVE) this.pending.splice(0, this.pending.length - MAX_LIVE);
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      const batch = this.pending.reverse().map(([m, grace]) => eventItem(m, grace));
      this.pending = [];
      this.live.prepend(...batch);
      while (this.live.childElementCount > MAX_LIVE) this.live.lastElementChild.remove();
    });
  }

  show(which) {
    const history = which === 'history';
    this.tabLive.setAttribute('aria-selected', String(!history));
    this.tabHistory.setAttribute('aria-selected', String(history));
    this.live.hidden = history;
    this.history.hidden = !history;
    this.more.hidden = !history || !this.page?.hasNext();
    if (history) this.loadHistory();
  }

  async loadHistory() {
    if (!this.channel) return;
    const channel = this.channel;
    const page = await channel.presence.history({ limit: 50 });
    if (channel !== this.channel) return;
    this.history.replaceChildren(...page.items.map((m) => eventItem(m)));
    this.setPage(page);
  }

  async older() {
    const page = await this.page?.next();
    if (!page) return;
    this.history.append(...page.items.map((m) => eventItem(m)));
    this.setPage(page);
  }

  setPage(page) {
    this.page = page;
    this.more.hidden = this.history.hidden || !page.hasNext();
  }
}
