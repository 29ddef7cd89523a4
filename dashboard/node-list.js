// Cluster nodes and their health, from the `nodes` event (this node alone when not clustered).
import { duration, el } from './format.js';

export function renderNodes(container, nodes, now = Date.now()) {
  const frag = document.createDocumentFragment();
  for (const n of nodes) {
    const pill = el('span', `node ${n.status}`);
    pill.append(el('span', 'dot'), el('span', 'node-id', n.nodeId));
    const detail = n.self ? `this node · ${n.connections} conns` : `beat ${duration(now - n.lastBeat)} ago`;
    pill.append(el('span', 'muted', n.status === 'up' ? detail : `${n.status} · ${detail}`));
    pill.title = `${n.nodeId}: ${n.status}${n.self ? ' (serving this dashboard)' : ''}`;
    frag.append(pill);
  }
  container.replaceChildren(frag);
}
