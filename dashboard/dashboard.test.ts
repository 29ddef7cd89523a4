/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core) against a real server on port 0, with
 * `ably` SDK clients in this process making presence happen. Screenshots go to the OS temp dir (and to
 * ROLLCALL_SCREENSHOT when set, which is how docs/dashboard.png is made).
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import { spawnPresenceClient } from '../test/helpers/child.ts';
import { chromiumSkip, launchChromium } from '../test/helpers/chromium.ts';
import { startServer, TEST_KEY, type TestServer } from '../test/helpers/server.ts';

const skip = chromiumSkip();

/** Opens the dashboard through `/` as a browser would, and fails the test on any page error or CSP violation. */
async function openDashboard(t: TestContext, browser: Awaited<ReturnType<typeof launchChromium>>, s: TestServer) {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  // Checked when each test's story ends: after it, the server stops first and the page's reconnects fail loudly.
  const clean = (expected?: RegExp) =>
    assert.deepEqual(
      problems.filter((p) => !expected?.test(p)),
      [],
      'the page logged errors',
    );
  t.after(() => page.close());
  const response = await page.goto(`http://localhost:${s.port}/`);
  assert.equal(new URL(page.url()).pathname, '/dashboard/', 'a browser asking for / lands on the dashboard');
  assert.equal(response?.status(), 200);
  return { page, clean };
}

async function logIn(page: Page, credential: string): Promise<void> {
  await page.fill('#credential', credential);
  await page.click('#login-form button[type=submit]');
  await page.locator('#app').waitFor({ state: 'visible' });
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(tmpdir(), `rollcall-dashboard-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  const docs = process.env.ROLLCALL_SCREENSHOT;
  if (docs && name === 'channel') await copyFile(path, docs);
}

describe('dashboard in Chromium', { skip }, () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('a wrong key is refused with its Ably error; a right one opens the live view', async (t) => {
    const s = await startServer(t, { dashboardPushInterval: 50 });
    const { page, clean } = await openDashboard(t, browser, s);
    await page.fill('#credential', 'testapp.key1:wrong-secret');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error', { hasText: /secret|credentials/i }).waitFor();
    assert.equal(await page.locator('#app').isVisible(), false);
    await screenshot(page, 'login');
    await logIn(page, TEST_KEY);
    await page.locator('#app-id', { hasText: 'testapp' }).waitFor();
    await page.locator('.node.up .node-id', { hasText: s.server.config.serverId }).waitFor();
    clean(/status of 401/); // the refused login, as the browser reports it
  });

  test('a member enters from the SDK, its devices and data appear, one drops into grace, one leaves with its reason', async (t) => {
    const s = await startServer(t, { dashboardPushInterval: 50 });
    // Some neighbouring traffic so the channel list has something to sort.
    const crowd = s.realtime({ protocol: 'json' });
    for (const [channel, users] of [
      ['lobby', ['dana', 'eli', 'fay']],
      ['game:7', ['gus', 'hana']],
    ] as const) {
      for (const u of users) await crowd.channels.get(channel).presence.enterClient(u, { status: 'online' });
    }
    const { page, clean } = await openDashboard(t, browser, s);
    await logIn(page, TEST_KEY);
    await page.locator('tr[data-name="lobby"]').waitFor();

    const laptop = s.realtime({ clientId: 'alice', protocol: 'json' });
    const room = laptop.channels.get('support-42');
    await room.presence.enter({ device: 'laptop', status: 'available' });
    const row = page.locator('tr[data-name="support-42"]');
    await row.waitFor();
    await row.click();
    const laptopRow = page.locator(`.row.device[data-connection-id="${laptop.connection.id}"]`);
    await laptopRow.waitFor();
    assert.match((await laptopRow.textContent()) ?? '', /connected.*"device":"laptop"/);
    // Since when: asked of the server once the member list is in (it was present before the page looked).
    await laptopRow.filter({ hasText: /since \d\d:\d\d:\d\d/ }).waitFor();

    // A second device of the same user enters while the page watches: a live ENTER, grouped under alice.
    const phone = s.realtime({ clientId: 'alice', protocol: 'msgpack' });
    await phone.channels.get('support-42').presence.enter({ device: 'phone' });
    await page.locator(`li.event.enter[data-connection-id="${phone.connection.id}"]`).waitFor();
    await page.locator('.row.user[data-client-id="alice"]', { hasText: '2 devices' }).waitFor();
    await page.locator('tr[data-name="support-42"] td:nth-child(3)', { hasText: '2' }).waitFor();
    await page.locator('tr[data-name="support-42"] td:nth-child(4)', { hasText: '1' }).waitFor();

    await crowd.channels.get('support-42').presence.enterClient('carol', { device: 'desktop', status: 'in a call' });
    const carolPhone = s.realtime({ clientId: 'carol', protocol: 'json' });
    await carolPhone.channels.get('support-42').presence.enter({ device: 'phone', status: 'in a call' });
    await page.locator('.row.user[data-client-id="carol"]', { hasText: '2 devices' }).waitFor();

    // A third device (another process) is killed outright: present, in its grace period, with the time left.
    const tablet = await spawnPresenceClient(t, {
      port: s.port,
      key: TEST_KEY,
      protocol: 'json',
      channel: 'support-42',
      clientId: 'bob',
      data: { device: 'tablet' },
      transportParams: { remainPresentFor: 120_000 },
    });
    await page.locator(`.row.device[data-connection-id="${tablet.connectionId}"]`).waitFor();
    const lost = new Promise((resolve) => s.server.node.events.once('transport-lost', resolve));
    tablet.process.kill('SIGKILL');
    await lost;
    const graceRow = page.locator(`.row.device[data-connection-id="${tablet.connectionId}"][data-state="grace"]`);
    await graceRow.waitFor();
    assert.match((await graceRow.textContent()) ?? '', /grace · leaves in (1m [0-5]\d|2m 0)s/);

    // The laptop leaves with a reason: the feed shows it, the device is gone, the phone stays.
    await room.presence.leave({ reason: 'session-completed' });
    const leave = page.locator(`li.event.leave[data-connection-id="${laptop.connection.id}"]`);
    await leave.waitFor();
    assert.equal(await leave.locator('.reason').textContent(), 'reason: session-completed');
    await laptopRow.waitFor({ state: 'detached' });
    await page.locator(`.row.device.solo[data-connection-id="${phone.connection.id}"]`).waitFor();

    // A device dropped with a 1 s grace period leaves when it ends; the feed says why.
    const watch = await spawnPresenceClient(t, {
      port: s.port,
      key: TEST_KEY,
      protocol: 'msgpack',
      channel: 'support-42',
      clientId: 'dan',
      data: { device: 'watch' },
      transportParams: { remainPresentFor: 1000 },
    });
    await page.locator(`.row.device[data-connection-id="${watch.connectionId}"]`).waitFor();
    const watchLost = new Promise((resolve) => s.server.node.events.once('transport-lost', resolve));
    watch.process.kill('SIGKILL');
    await watchLost;
    await page.locator(`.row.device[data-connection-id="${watch.connectionId}"][data-state="grace"]`).waitFor();
    const expired = page.locator(`li.event.leave[data-connection-id="${watch.connectionId}"] .reason`);
    await expired.waitFor();
    assert.match((await expired.textContent()) ?? '', /^grace period over: connection lost at \d\d:\d\d:\d\d$/);

    // Presence history (through the SDK's REST call) holds the whole story, newest first.
    await page.click('#tab-history');
    await page.locator('#feed-history li.event.leave', { hasText: 'session-completed' }).waitFor();
    assert.ok((await page.locator('#feed-history li.event.enter').count()) >= 3);
    await page.click('#tab-live');
    await screenshot(page, 'channel');
    clean();
  });

  test('1,000 members entering live render with a capped DOM and stay filterable', async (t) => {
    const s = await startServer(t, { dashboardPushInterval: 50, maxInboundRate: 10_000 });
    const { page, clean } = await openDashboard(t, browser, s);
    await page.evaluate(() => {
      const w = window as unknown as { longest: number };
      w.longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longest = Math.max(w.longest, e.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
    await logIn(page, TEST_KEY);
    const watcher = s.realtime({ protocol: 'json' });
    await watcher.channels.get('town-hall').presence.enterClient('host', { role: 'host' });
    await page.locator('tr[data-name="town-hall"]').click();
    await page.locator('.row.device[data-client-id="host"]').waitFor();

    const entrant = s.realtime({ protocol: 'msgpack' });
    const hall = entrant.channels.get('town-hall');
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => hall.presence.enterClient(`user-${String(i).padStart(4, '0')}`, { seat: i })),
    );
    await page.locator('#channel-stats', { hasText: '1001 members' }).waitFor();
    await page.locator('tr[data-name="town-hall"] td:nth-child(3)', { hasText: '1001' }).waitFor();
    const rendered = await page.locator('#member-rows .row').count();
    assert.ok(rendered > 10 && rendered <= 120, `only the rows in view are in the DOM (${rendered} for 2002 rows)`);

    // Scrolling to the end shows the last member; filtering finds one among a thousand.
    await page.locator('#member-viewport').evaluate((v) => {
      v.scrollTop = v.scrollHeight;
    });
    await page.locator('.row.device[data-client-id="user-0999"]').waitFor();
    await page.fill('#member-filter', 'user-0421');
    await page.locator('.row.device[data-client-id="user-0421"]').waitFor();
    assert.equal(await page.locator('#member-rows .row.device').count(), 1);
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    console.log(`1,000 live enters: ${rendered} rows in the DOM; longest main-thread task ${Math.round(longest)} ms`);
    await page.fill('#member-filter', '');

    // Opening the channel afresh gets the 1,001 through SYNC (presence.get()) and the since-when of each.
    await page.evaluate(() => {
      location.hash = '#channel=elsewhere';
    });
    await page.locator('#channel-title', { hasText: 'elsewhere' }).waitFor();
    await page.locator('tr[data-name="town-hall"]').click();
    await page.locator('#channel-stats', { hasText: '1001 members' }).waitFor();
    await page.locator('.row.device[data-client-id="user-0000"]', { hasText: /since \d\d:/ }).waitFor();
    assert.ok((await page.locator('#member-rows .row').count()) <= 120);
    await screenshot(page, 'thousand');
    clean();
  });
});
