// One channel's members grouped by clientId, each device (connectionId) with its data, since when, and its state.
// Virtualized: only the rows in view (plus a few) are in the DOM, so 10,000 members scroll as smoothly as 10.
import { clockTime, dataText, duration, el } from './format.js';

const ROW = 32; // px; every row has the same height so the window is plain arithmetic
const OVERSCAN = 8;

export class MemberList {
  constructor({ viewport, spacer, rows, filter, empty }) {
    Object.assign(this, { viewport, spacer, rowsEl: rows, filter, empty });
    this.members = new Map(); // memberKey → {clientId, connectionId, data, timestamp, since}
    this.grace = new Map(); // connectionId → {since, endsAt}
    this.graceSeen = new Map(); // the same, kept for a minute after the grace period is over
    this.flat = [];
    this.dirty = true;
    this.frame = 0;
    this.active = false;
    viewport.addEventListener('scroll', () => this.schedule(false));
    filter.addEventListener('input', () => this.schedule(true));
    new ResizeObserver(() => this.schedule(false)).observe(viewport);
    // Remaining grace time and "since" durations move on their own.
    setInterval(() => this.active && this.schedule(false), 1000);
  }

  /** Starts showing a channel: empty until members arrive. */
  reset(active = true) {
    this.members.clear();
    this.active = active;
    this.viewport.scrollTop = 0;
    this.schedule(true);
  }

  /** Sets the whole set (after a presence.get()). */
  setAll(list, sinceByKey) {
    this.members.clear();
    for (const m of list) this.upsert(m, sinceByKey?.get(key(m)) ?? null);
    this.schedule(true);
  }

  /** Applies one presence event from the SDK. */
  apply(m) {
    const k = key(m);
    if (m.action === 'leave' || m.action === 'absent') this.members.delete(k);
    else this.upsert(m, m.action === 'enter' ? m.timestamp : undefined);
    this.schedule(true);
  }

  /** Since-when answers of /members for members that were there before the page looked. */
  setSince(list) {
    for (const s of list) {
      const m = this.members.get(key(s));
      if (m && (m.since === null || m.since === undefined)) m.since = s.since;
    }
    this.schedule(false);
  }

  /** Connections in their grace period, from the server's `grace` event. */
  setGrace(entries) {
    this.grace = new Map(entries.map((g) => [g.connectionId, g]));
    // Remembered a while after they end: the LEAVE (over the SDK) and the stream's update race each other.
    const now = Date.now();
    for (const g of entries) this.graceSeen.set(g.connectionId, g);
    for (const [id, g] of this.graceSeen) if (now - g.endsAt > 60_000) this.graceSeen.delete(id);
    this.schedule(true);
  }

  /** The grace period a connection was last seen in, if any (to explain a server-made LEAVE). */
  graceOf(connectionId) {
    return this.grace.get(connectionId) ?? this.graceSeen.get(connectionId);
  }

  get size() {
    return this.members.size;
  }

  get users() {
    return new Set([...this.members.values()].map((m) => m.clientId)).size;
  }

  upsert(m, since) {
    const k = key(m);
    const prev = this.members.get(k);
    this.members.set(k, {
      clientId: m.clientId,
      connectionId: m.connectionId,
      data: m.data,
      timestamp: m.timestamp,
      since: since !== undefined ? since : (prev?.since ?? null),
    });
  }

  schedule(structural) {
    if (structural) this.dirty = true;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Rebuilds the flat row list (groups by clientId, filtered); runs at most once per frame. */
  flatten() {
    const needle = this.filter.value.trim().toLowerCase();
    const groups = new Map();
    for (const m of this.members.values()) {
      if (needle && !matches(m, needle)) continue;
      let g = groups.get(m.clientId);
      if (!g) groups.set(m.clientId, (g = []));
      g.push(m);
    }
    const flat = [];
    for (const clientId of [...groups.keys()].sort()) {
      const devices = groups.get(clientId).sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
      // A user on one device is one row; several devices get a heading row for the user.
      if (devices.length === 1) {
        flat.push({ kind: 'device', member: devices[0], solo: true });
        continue;
      }
      const inGrace = devices.filter((d) => this.grace.has(d.connectionId)).length;
      flat.push({ kind: 'user', clientId, devices: devices.length, inGrace });
      for (const d of devices) flat.push({ kind: 'device', member: d, solo: false });
    }
    this.flat = flat;
    this.dirty = false;
  }

  render() {
    if (this.dirty) this.flatten();
    const total = this.flat.length;
    this.spacer.style.height = `${total * ROW}px`;
    this.empty.hidden = !this.active || this.members.size > 0;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW) - OVERSCAN);
    const visible = Math.ceil(this.viewport.clientHeight / ROW) + 2 * OVERSCAN;
    const now = Date.now();
    const frag = document.createDocumentFragment();
    for (let i = first; i < Math.min(total, first + visible); i++) frag.append(this.row(this.flat[i], now));
    this.rowsEl.style.transform = `translateY(${first * ROW}px)`;
    this.rowsEl.replaceChildren(frag);
  }

  row(item, now) {
    if (item.kind === 'user') {
      const row = el('div', 'row user');
      row.dataset.clientId = item.clientId;
      row.append(el('span', 'client', item.clientId));
      row.append(el('span', 'muted', item.devices === 1 ? '1 device' : `${item.devices} devices`));
      if (item.inGrace === item.devices) row.append(el('span', 'badge grace', 'all devices dropped'));
      return row;
    }
    const m = item.member;
    const row = el('div', item.solo ? 'row device solo' : 'row device');
    if (item.solo) row.append(el('span', 'client', m.clientId));
    row.dataset.connectionId = m.connectionId;
    row.dataset.clientId = m.clientId;
    const g = this.grace.get(m.connectionId);
    const state = g
      ? el('span', 'badge grace', `grace · leaves in ${duration(g.endsAt - now)}`)
      : el('span', 'badge connected', 'connected');
    if (g) state.title = `transport lost at ${clockTime(g.since)}; members leave at ${clockTime(g.endsAt)} unless it resumes`;
    row.dataset.state = g ? 'grace' : 'connected';
    const conn = el('code', 'conn', m.connectionId);
    const data = el('span', 'data', dataText(m.data));
    data.title = dataText(m.data, 4000);
    const since =
      m.since !== null && m.since !== undefined
        ? el('span', 'since', `since ${clockTime(m.since)} · ${duration(now - m.since)}`)
        : el('span', 'since muted', `updated ${clockTime(m.timestamp)}`);
    if (m.since === null || m.since === undefined) since.title = 'entered before the presence history the server keeps';
    row.append(state, conn, data, since);
    return row;
  }
}

const key = (m) => `${m.clientId}:${m.connectionId}`;

function matches(m, needle) {
  return (
    m.clientId.toLowerCase().includes(needle) ||
    m.connectionId.toLowerCase().includes(needle) ||
    dataText(m.data, 4000).toLowerCase().includes(needle)
  );
}
