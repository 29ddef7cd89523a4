// Compiles src/ to dist/ (JavaScript + source maps) with tsconfig.build.json and copies the files the compiled code
// reads at run time (the Redis Lua scripts). Plain JavaScript, so it runs with plain `node` before anything is built.
//
//   node scripts/build.js          build now
//   import { ensureBuilt }         used by bin/rollcall.js to build on start when dist/ is missing or older than src/
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** Written last by a successful build: its mtime is the build's age, and a half-written dist/ has none. */
const STAMP = join(DIST, '.build-stamp');
/** Inputs of the build besides src/: a change to any of them makes dist/ stale. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why dist/ must be (re)built, or undefined when it is up to date. */
export function isStale() {
  if (!existsSync(STAMP)) return 'dist/ is missing';
  const built = statSync(STAMP).mtimeMs;
  for (const input of ['src', ...INPUTS]) {
    // An install that ships dist/ without src/ (or without a tsconfig) has nothing to rebuild from.
    if (existsSync(join(ROOT, input)) && newestMtime(join(ROOT, input)) > built) return `${input} changed since the last build`;
  }
  return undefined;
}

function copyRuntimeFiles(out) {
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.lua')) cpSync(path, join(out, relative(join(ROOT, 'src'), path)));
    }
  };
  walk(join(ROOT, 'src'));
}

/**
 * Builds into a private directory, then swaps it in, so a server starting meanwhile (or a second build racing this
 * one) never sees a half-written dist/. Throws with the compiler's output on failure.
 */
export function build() {
  let tsc;
  try {
    // The compiler's `bin` entry, found through its package.json (its exports do not list the bin file).
    const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
    tsc = join(dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin.tsc);
  } catch {
    throw new Error('dist/ needs building but the TypeScript compiler is not installed (install devDependencies: npm ci)');
  }
  const out = join(ROOT, `.rollcall-build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`build failed (tsc exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  copyRuntimeFiles(out);
  const stamp = join(out, '.build-stamp');
  writeFileSync(stamp, '');
  // Dated no earlier than the newest input, so a file with a future mtime (clock skew, an unpacked archive) does not
  // make every later start rebuild.
  const newest = Math.max(
    statSync(stamp).mtimeMs,
    ...['src', ...INPUTS].filter((i) => existsSync(join(ROOT, i))).map((i) => newestMtime(join(ROOT, i))),
  );
  utimesSync(stamp, newest / 1000, newest / 1000);
  const old = join(ROOT, `.rollcall-old-${process.pid}`);
  try {
    renameSync(DIST, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  try {
    renameSync(out, DIST);
  } catch (err) {
    // Another build swapped its own dist/ in first: it is as fresh as ours.
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}

const LOCK = join(ROOT, '.rollcall-build.lock');
/** A lock older than this belongs to a build that died; it is taken over. */
const LOCK_STALE_MS = 120_000;

/**
 * Builds when dist/ is stale, one process at a time: several servers started together on a stale tree (a cluster
 * on one machine, the test suite) wait for the first one's build instead of swapping dist/ under each other.
 * `onBuild(reason)` is called just before this process builds; `force` builds even when dist/ is up to date.
 */
export function ensureBuilt(onBuild, force = false) {
  if (!force && !isStale()) return;
  for (;;) {
    try {
      mkdirSync(LOCK); // atomic: exactly one process gets it
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // a synchronous 50 ms pause
    if (!existsSync(LOCK) && !force && !isStale()) return; // the other process built it
  }
  try {
    // Only the lock holder builds, so any build directories left now belong to builds that were killed midway.
    for (const entry of readdirSync(ROOT)) {
      if (/^\.rollcall-(build|old)-\d+$/.test(entry)) rmSync(join(ROOT, entry), { recursive: true, force: true });
    }
    // Re-checked under the lock: another process may have just finished.
    const reason = force ? 'build requested' : isStale();
    if (reason) {
      onBuild(reason);
      build();
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  ensureBuilt(() => {}, true);
  console.log(`built ${relative(process.cwd(), DIST) || 'dist'}/ in ${Math.round(performance.now() - started)} ms`);
}
