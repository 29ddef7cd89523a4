#!/usr/bin/env node
// Runs the compiled server (dist/) with plain node. When dist/ is missing or older than src/ (a fresh clone, a
// `git pull`, an edit), it is built first, so `npm ci && npm start` always runs the code in src/.
import { hostname } from 'node:os';
import { ensureBuilt } from '../scripts/build.js';

/** A launcher line: JSON shaped like the server's own log records when stdout is not a terminal. */
function note(msg) {
  if (process.stdout.isTTY) process.stderr.write(`rollcall: ${msg}\n`);
  else process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, hostname: hostname(), msg })}\n`);
}

try {
  ensureBuilt((reason) => note(`building dist/ (${reason})`));
} catch (err) {
  process.stderr.write(`rollcall: ${err.message}\n`);
  process.exit(1);
}
// Stack traces name the TypeScript files and lines.
process.setSourceMapsEnabled(true);
await import('../dist/cli/main.js');
