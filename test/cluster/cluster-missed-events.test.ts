import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { redisSkip, startRedis } from '../helpers/redis.ts';
import { connectionState, type TestServer } from '../helpers/server.ts';
import { clientFor, linkIs, memberKeys, PresenceLog, readyStatus, startNodes, TcpProxy } from './cluster-helpers.ts';

const skip = redisSkip();
// One server is enough: what matters is that one node's link (through a proxy) is cut while another's is not.
const redis = skip ? undefined : await startRedis({ after });

describe('cluster on Redis: a node cut from Redis while the others carry on', { skip }, () => {
  // Without the re-sync the observer keeps its ghost for ever: fail here, by name, rather than hang the file.
  it('re-syncs its presence subscribers when its link is back: no ghost, no missing member', { timeout: 30_000 }, async (t) => {
    const r = redis as NonNullable<typeof redis>;
    const proxy = new TcpProxy(r.port);
    await proxy.listen(t);
    const prefix = r.prefix(t);
    const [cut] = (await startNodes(t, `redis://127.0.0.1:${proxy.port}`, prefix, 1)) as [TestServer];
    const [other] = (await startNodes(t, r.url, prefix, 1, { serverId: 'node-other' })) as [TestServer];
    const channelName = 'room-cut';
    const observer = clientFor(t, cut.port, { clientId: 'observer' }).channels.get(channelName);
    const seen = new PresenceLog(observer);
    await observer.attach();
    // A witness on the other node: when it has seen an event, Redis holds its effect.
    const witness = new PresenceLog(clientFor(t, other.port, { clientId: 'witness' }).channels.get(channelName));
    const stays = clientFor(t, other.port, { clientId: 'stays' });
    const goes = clientFor(t, other.port, { clientId: 'goes' });
    await Promise.all([stays, goes].map((c) => c.channels.get(channelName).presence.enter()));
    await seen.until(() => seen.count('enter') === 2);

    // The cut node loses both its Redis connections (commands and subscriber) and cannot reconnect for now.
    const down = linkIs(cut, false);
    proxy.hold();
    proxy.dropAll();
    await down;
    assert.equal(await readyStatus(cut), 503, 'unready while cut off');

    // Meanwhile, through the other node, one member leaves and one enters: events the cut node never receives.
    goes.close();
    await connectionState(goes, 'closed');
    const late = clientFor(t, other.port, { clientId: 'late' });
    await late.channels.get(channelName).presence.enter();
    await witness.until(
      (e) => e.some((m) => m.clientId === 'goes' && m.action === 'leave') && e.some((m) => m.clientId === 'late'),
    );
    assert.ok(!seen.events.some((m) => m.clientId === 'goes' && m.action === 'leave'), 'the LEAVE did not reach the cut node');

    const up = linkIs(cut, true);
    proxy.release();
    await up;
    assert.equal(await readyStatus(cut), 200);
    // The observer learns both from the re-sync: `goes` leaves (a synthesized LEAVE at the end of the sync), `late`
    // appears.
    await seen.until((e) => e.some((m) => m.clientId === 'goes' && m.action === 'leave') && e.some((m) => m.clientId === 'late'));
    const live = [`late:${late.connection.id}`, `stays:${stays.connection.id}`];
    assert.deepEqual(memberKeys(await observer.presence.get()), live);
    assert.deepEqual(memberKeys((await cut.rest().channels.get(channelName).presence.get()).items), live);
  });
});
