// The channel list: rows pushed by the server (occupancy), sortable by any column, filtered by name.
import { el } from './format.js';

const MAX_ROWS = 500; // beyond this the filter narrows it down; thousands of rows help nobody

export class ChannelList {
  constructor({ body, filter, headers, count, empty, onSelect }) {
    this.rows = new Map();
    this.sort = { key: 'members', dir: -1 };
    this.selected = undefined;
    Object.assign(this, { body, filter, headers, count, empty, onSelect });
    filter.addEventListener('input', () => this.render());
    for (const th of headers) {
      th.addEventListener('click', () => {
        const key = th.dataset.sort;
        this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'name' ? 1 : -1 };
        this.render();
      });
    }
    body.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-name]');
      if (tr) this.onSelect(tr.dataset.name);
    });
    body.addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-name]');
      if (tr && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.onSelect(tr.dataset.name);
      }
    });
  }

  reset() {
    this.rows.clear();
    this.render();
  }

  /** Applies a `channels` event: `{upsert: rows, remove: names}`. */
  apply({ upsert, remove }) {
    for (const row of upsert) this.rows.set(row.name, row);
    for (const name of remove) this.rows.delete(name);
    this.render();
  }

  select(name) {
    this.selected = name;
    this.render();
  }

  get(name) {
    return this.rows.get(name);
  }

  totals() {
    let members = 0;
    let connections = 0;
    for (const r of this.rows.values()) {
      members += r.members;
      connections += r.connections;
    }
    return { channels: this.rows.size, members, connections };
  }

  render() {
    const needle = this.filter.value.trim().toLowerCase();
    const { key, dir } = this.sort;
    const rows = [...this.rows.values()].filter((r) => !needle || r.name.toLowerCase().includes(needle));
    rows.sort((a, b) => {
      const order = key === 'name' ? a.name.localeCompare(b.name) : a[key] - b[key] || a.name.localeCompare(b.name);
      return dir * order || a.name.localeCompare(b.name);
    });
    const frag = document.createDocumentFragment();
    for (const r of rows.slice(0, MAX_ROWS)) {
      const tr = el('tr');
      tr.dataset.name = r.name;
      tr.tabIndex = 0;
      if (r.name === this.selected) tr.className = 'selected';
      const name = el('td', 'name', r.name);
      name.title = r.name;
      tr.append(name, el('td', 'num', r.connections), el('td', 'num', r.members), el('td', 'num', r.users));
      frag.append(tr);
    }
    this.body.replaceChildren(frag);
    for (const th of this.headers) {
      th.classList.toggle('sorted', th.dataset.sort === key);
      th.dataset.dir = dir > 0 ? 'asc' : 'desc';
    }
    const shown = Math.min(rows.length, MAX_ROWS);
    this.count.textContent = needle || rows.length > MAX_ROWS ? `${shown} of ${this.rows.size}` : String(this.rows.size);
    this.empty.hidden = this.rows.size > 0;
  }
}
