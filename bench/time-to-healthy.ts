import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../scripts/build.js';

/**
 * `npm run bench:startup [-- --runs 10]`: time from spawning the server process until `GET /health` answers 200,
 * for the same CLI run three ways: through tsx (TypeScript compiled at start-up, how `npm start` ran before the
 * build existed), the compiled dist/ with plain node, and bin/rollcall.js (what `npm start` runs now: the staleness
 * check, source maps on, then dist/). Runs are interleaved so machine noise hits every variant alike.
 */
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('usage: npm run bench:startup [-- --runs N]   (default 10 runs of each variant)');
  process.exit(0);
}
const runs = Number(values.runs);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VARIANTS = [
  { name: 'tsx (before)', argv: ['--import', 'tsx', 'src/cli/main.ts'] },
  { name: 'compiled dist/', argv: ['dist/cli/main.js'] },
  { name: 'bin/rollcall.js (npm start)', argv: ['bin/rollcall.js'] },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawn until /health answered 200 (polled every 2 ms). */
async function timeToHealthy(argv: string[]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...argv, '--port', String(port), '--host', '127.0.0.1', '--key', 'bench.k:secret'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const exited = once(child, 'exit');
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

ensureBuilt((reason) => console.log(`building dist/ first (${reason})`));
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log(`npm run bench:startup -- --runs ${runs}\n${new Date().toISOString()}`);
console.log(`${cpus().length} CPUs (${cpus()[0]?.model}), node ${process.version}, load average at start ${load}\n`);
const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
for (let i = 0; i < runs; i++) {
  for (const v of VARIANTS) samples.get(v.name)?.push(await timeToHealthy(v.argv));
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const base = median(samples.get(VARIANTS[0]?.name as string) as number[]);
const rows = VARIANTS.map((v) => {
  const xs = samples.get(v.name) as number[];
  const m = median(xs);
  return [
    v.name,
    `node ${v.argv.join(' ')}`,
    `${Math.round(m)} ms`,
    `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms`,
    `${(m / base).toFixed(2)}×`,
  ];
});
const header = ['variant', 'command', 'median to healthy', 'min–max', 'vs tsx'];
for (const row of [header, header.map(() => '---'), ...rows]) console.log(`| ${row.join(' | ')} |`);
