// Rollcall dashboard: wires the login, the server's event stream (channels, grace periods, nodes) and the Ably SDK
// (presence and presence history of the selected channel) to the panels. Plain ES modules, no build step.
import { ChannelList } from './channel-list.js';
import { EventFeed } from './event-feed.js';
import { EventStream } from './event-stream.js';
import { el } from './format.js';
import { MemberList } from './member-list.js';
import { renderNodes } from './node-list.js';
import { Session } from './session.js';

const $ = (id) => document.getElementById(id);
const session = new Session();
let client;
let stream;
let current; // the selected Ably channel
let onPresence;

const channels = new ChannelList({
  body: $('channel-rows'),
  filter: $('channel-filter'),
  headers: [...document.querySelectorAll('th[data-sort]')],
  count: $('channel-count'),
  empty: $('channel-empty'),
  onSelect: (name) => {
    location.hash = `channel=${encodeURIComponent(name)}`;
  },
});
const members = new MemberList({
  viewport: $('member-viewport'),
  spacer: $('member-spacer'),
  rows: $('member-rows'),
  filter: $('member-filter'),
  empty: $('member-empty'),
});
const feed = new EventFeed({
  live: $('feed-live'),
  history: $('feed-history'),
  more: $('history-more'),
  tabLive: $('tab-live'),
  tabHistory: $('tab-history'),
});

/** The SDK's options for this page's origin: the only change from Ably is where the server is. */
function sdkOptions() {
  const tls = location.protocol === 'https:';
  const port = Number(location.port) || (tls ? 443 : 80);
  const host = location.hostname;
  // The SDK reads a bare word (no dot) as an Ably routing policy, so such hosts are named explicitly.
  const where =
    host.includes('.') || host.includes(':') || host === 'localhost'
      ? { endpoint: host }
      : { restHost: host, realtimeHost: host };
  return {
    ...where,
    tls,
    port,
    tlsPort: port,
    transports: ['web_socket'],
    authCallback: (_params, callback) =>
      session.token().then(
        (t) => callback(null, t.token),
        (err) => callback(err.message, null),
      ),
  };
}

function showLogin(message = '') {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('credential').focus();
}

function start(login) {
  $('login').hidden = true;
  $('app').hidden = false;
  $('app-id').textContent = `app ${login.appId}`;
  client = new window.Ably.Realtime(sdkOptions());
  client.connection.on((change) => {
    const pill = $('link-state');
    pill.textContent = change.current;
    pill.className = `pill ${change.current}`;
  });
  stream = new EventStream(session, {
    onOpen: () => channels.reset(),
    onEvent: (event, data) => {
      if (event === 'channels') {
        channels.apply(data);
        renderTotals();
      } else if (event === 'grace') members.setGrace(data);
      else if (event === 'nodes') renderNodes($('nodes'), data);
    },
    onError: (err) => {
      if (err.statusCode === 401 || err.statusCode === 403) stop(`Signed out: ${err.message}`);
    },
  });
  stream.start();
  window.addEventListener('hashchange', selectFromHash);
  selectFromHash();
}

function stop(message) {
  stream?.stop();
  client?.close();
  client = current = undefined;
  window.removeEventListener('hashchange', selectFromHash);
  session.logout();
  showLogin(message);
}

function selectFromHash() {
  const m = /^#channel=(.+)$/.exec(location.hash);
  if (m) select(decodeURIComponent(m[1]));
}

async function select(name) {
  if (current?.name === name) return;
  if (current) {
    const previous = current;
    previous.presence.unsubscribe(onPresence);
    previous.detach().then(
      () => client?.channels.release(previous.name),
      () => {},
    );
  }
  const channel = client.channels.get(name);
  current = channel;
  channels.select(name);
  $('channel-title').textContent = name;
  members.reset();
  feed.reset(channel);
  renderStats();
  onPresence = (m) => {
    if (current !== channel) return;
    // PRESENT is the set as it was on attaching (the member list shows it); the feed is for changes.
    if (m.action !== 'present') feed.add(m, members.graceOf(m.connectionId));
    members.apply(m);
    renderStats();
  };
  try {
    await channel.presence.subscribe(onPresence);
    const list = await channel.presence.get();
    if (current !== channel) return;
    members.setAll(list);
    renderStats();
    const since = await fetch(`api/channels/${encodeURIComponent(name)}/members`, {
      headers: { authorization: await session.header(), accept: 'application/json' },
    });
    if (since.ok && current === channel) members.setSince(await since.json());
  } catch (err) {
    if (current === channel) $('channel-stats').replaceChildren(el('span', 'error', err.message));
  }
}

function renderStats() {
  const box = $('channel-stats');
  if (!current) return box.replaceChildren();
  const row = channels.get(current.name);
  const stat = (value, label) => {
    const s = el('span', 'stat');
    s.append(el('strong', '', value), el('span', 'muted', ` ${label}`));
    return s;
  };
  box.replaceChildren(
    stat(members.size, members.size === 1 ? 'member' : 'members'),
    stat(members.users, members.users === 1 ? 'user' : 'users'),
    stat(row?.connections ?? 0, 'connections attached'),
  );
}

function renderTotals() {
  const t = channels.totals();
  $('totals').replaceChildren(
    el('span', '', `${t.channels} channels`),
    el('span', '', `${t.connections} attached`),
    el('span', '', `${t.members} members`),
  );
  renderStats();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const credential = $('credential').value.trim();
  try {
    start(await session.login(credential));
    $('credential').value = '';
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});
$('logout').addEventListener('click', () => stop(''));

if (session.stored) {
  session.login(session.credential).then(start, (err) => showLogin(err.message));
} else showLogin();
