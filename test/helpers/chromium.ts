import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, headless browser: no GPU, no sandbox (root in CI), nothing fetched in the background. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The `skip` option for a suite that needs Chromium. Under CI a missing browser is a failure: the loud message below
 * is what `.ci/run` looks for (as for Redis).
 */
export function chromiumSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const message = `${CHROMIUM} not found: the browser suites cannot run (apt-get install chromium)`;
  if (process.env.CI === 'true') console.error(`\n*** REQUIRED SUITE SKIPPED: ${message} ***\n`);
  return message;
}

/** A headless Chromium with a fresh profile directory; `close()` ends it and deletes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'rollcall-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
