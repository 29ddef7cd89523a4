// Compatibility runner (test tooling, not shipped code): runs an Ably SDK's own test suite, one mocha process per
// test file, against Rollcall's test-app sandbox, and writes a JSON report. See docs/compatibility.md.
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSandbox } from '../src/sandbox/index.ts';
import { makeCertificate, startEchoServer } from './echo/echo-server.ts';
import { type CompatReport, type FileResult, type TestResult, totalsOf } from './report.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

const HELP = `Usage: npm run compat -- --sdk-dir DIR --ably-npm DIR [options]

Runs ably-js's node test suite (test/realtime, test/rest, test/unit), one mocha process per file, against a
Rollcall sandbox, with the npm build of the same version as the checkout.

  --sdk-dir DIR       ably-js checkout (its tests are used; its own build is not)
  --ably-npm DIR      npm install prefix holding node_modules/ably of the checkout's version
  --suite-deps DIR    npm install prefix holding the suite's test dependencies (mocha@8 chai@4 async@3 ulid@2
                      dequal@2 @ably/vcdiff-decoder@1.0.6); used when the checkout has no node_modules
  --common-dir DIR    ably-common checkout, copied in when the checkout's test/common/ably-common submodule is empty
  --out FILE          report (default compat/reports/ably-js.json)
  --logs-dir DIR      each file's mocha output (default /tmp/rollcall-compat-logs)
  --files A,B         only files whose path contains one of these
  --file-timeout MS   per-file limit; a file still running is killed and its remaining tests are lost (default 900000)
  --sandbox-url URL   use a running sandbox (npm run sandbox) instead of starting one in this process
  --transports A,B    ABLY_TEST_TRANSPORTS: the transports the suite runs over (default web_socket; Rollcall also
                      serves comet, but the full suite has not yet been gated over it)
  --no-echo           do not start the local echo.ably.io stand-in (compat/echo; needs port 443, so root)
`;

function fail(message: string): never {
  console.error(`compat: ${message}`);
  process.exit(2);
}

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));

/** Links `link` → `target` unless `link` already exists as a real directory (the user's own install wins). */
function ensureLink(link: string, target: string, what: string): void {
  if (existsSync(link) && !lstatSync(link).isSymbolicLink()) return;
  if (!existsSync(target)) fail(`${what}: ${target} does not exist`);
  rmSync(link, { force: true });
  symlinkSync(target, link, 'dir');
}

/** Makes the checkout runnable: the npm build as its build/, test dependencies, and ably-common's test resources. */
function prepare(sdkDir: string, ablyNpm: string, suiteDeps: string | undefined, commonDir: string | undefined): string {
  const checkoutVersion = readJson(join(sdkDir, 'package.json')).version as string;
  const npmAbly = join(ablyNpm, 'node_modules', 'ably');
  if (!existsSync(join(npmAbly, 'package.json')))
    fail(`no ably package in ${ablyNpm} (npm install --prefix ${ablyNpm} ably@${checkoutVersion})`);
  const npmVersion = readJson(join(npmAbly, 'package.json')).version as string;
  if (npmVersion !== checkoutVersion) fail(`checkout is ably-js ${checkoutVersion} but the npm build is ${npmVersion}`);
  const build = join(sdkDir, 'build');
  if (existsSync(build) && !lstatSync(build).isSymbolicLink()) {
    fail(`${build} is a local build; move it away so the suite runs against the npm build`);
  }
  ensureLink(build, join(npmAbly, 'build'), 'npm build');
  if (!existsSync(join(sdkDir, 'node_modules', 'mocha'))) {
    if (!suiteDeps) fail('the checkout has no node_modules with mocha; pass --suite-deps');
    ensureLink(join(sdkDir, 'node_modules'), join(resolve(suiteDeps), 'node_modules'), 'suite dependencies');
  }
  const resources = join(sdkDir, 'test', 'common', 'ably-common', 'test-resources');
  if (!existsSync(join(resources, 'test-app-setup.json'))) {
    if (!commonDir) fail('test/common/ably-common is empty; pass --common-dir with an ably-common checkout');
    const submodule = join(sdkDir, 'test', 'common', 'ably-common');
    rmSync(submodule, { recursive: true, force: true });
    symlinkSync(resolve(commonDir), submodule, 'dir');
  }
  return npmVersion;
}

function suiteFiles(sdkDir: string, filters: string[]): string[] {
  const files: string[] = [];
  for (const dir of ['test/realtime', 'test/rest', 'test/unit']) {
    for (const name of readdirSync(join(sdkDir, dir)).sort()) {
      if (name.endsWith('.test.js')) files.push(`${dir}/${name}`);
    }
  }
  return filters.length === 0 ? files : files.filter((f) => filters.some((s) => f.includes(s)));
}

interface Line {
  /** Which test object (a test reported twice has one number). */
  n?: number;
  title: string;
  verdict: TestResult['verdict'];
  durationMs: number;
  error?: string;
}

/** Runs one test file in its own mocha process; resolves with its results once it exits or is killed. */
function runFile(
  sdkDir: string,
  file: string,
  env: Record<string, string>,
  logsDir: string,
  timeoutMs: number,
): Promise<{ results: TestResult[]; file: FileResult }> {
  const base = file.replace(/[/\\]/g, '_');
  const linesPath = join(logsDir, `${base}.jsonl`);
  const logPath = join(logsDir, `${base}.log`);
  rmSync(linesPath, { force: true });
  const args = [
    join(sdkDir, 'node_modules', 'mocha', 'bin', 'mocha'),
    '--no-config',
    '--require',
    'test/support/modules_helper.js',
    '--require',
    'test/support/test_helper.js',
    '--require',
    join(HERE, 'echo', 'dns-preload.cjs'),
    '--file',
    'test/support/root_hooks.js',
    '--reporter',
    join(HERE, 'mocha-reporter.cjs'),
    '--reporter-option',
    `output=${linesPath}`,
    '--exit',
    file,
  ];
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: sdkDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      writeFileSync(logPath, Buffer.concat(chunks));
      const lines: Line[] = existsSync(linesPath)
        ? readFileSync(linesPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Line)
        : [];
      const seen = new Map<string, number>();
      const byTest = new Map<number, TestResult>();
      const results: TestResult[] = [];
      for (const [i, { n = -1 - i, ...l }] of lines.entries()) {
        // A test reported again (a late failure after it passed or failed) stays one result: any failure wins.
        const earlier = byTest.get(n);
        if (earlier) {
          if (l.verdict === 'fail') {
            earlier.verdict = 'fail';
            earlier.error = [earlier.error, l.error].filter(Boolean).join('\n--- reported again ---\n');
          }
          continue;
        }
        // Parameterised suites can repeat a title; a counter keeps ids unique and stable between runs.
        const count = (seen.get(l.title) ?? 0) + 1;
        seen.set(l.title, count);
        const title = count === 1 ? l.title : `${l.title} #${count}`;
        const result: TestResult = { id: `${file}::${title}`, file, ...l, title };
        byTest.set(n, result);
        results.push(result);
      }
      if (timedOut || (exitCode !== 0 && !results.some((r) => r.verdict === 'fail'))) {
        const why = timedOut ? `killed after ${timeoutMs} ms` : `mocha exited with ${exitCode}; see ${logPath}`;
        results.push({ id: `${file}::(file run)`, file, title: '(file run)', verdict: 'fail', durationMs: 0, error: why });
      }
      const count = (v: TestResult['verdict']) => results.filter((r) => r.verdict === v).length;
      done({
        results,
        file: {
          file,
          pass: count('pass'),
          fail: count('fail'),
          skip: count('skip'),
          durationMs: Math.round(performance.now() - started),
          exitCode,
          timedOut,
        },
      });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'sdk-dir': { type: 'string' },
      'ably-npm': { type: 'string' },
      'suite-deps': { type: 'string' },
      'common-dir': { type: 'string' },
      out: { type: 'string', default: join(HERE, 'reports', 'ably-js.json') },
      'logs-dir': { type: 'string', default: '/tmp/rollcall-compat-logs' },
      files: { type: 'string', default: '' },
      'file-timeout': { type: 'string', default: '900000' },
      'sandbox-url': { type: 'string' },
      'no-echo': { type: 'boolean', default: false },
      transports: { type: 'string', default: 'web_socket' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (!values['sdk-dir'] || !values['ably-npm']) fail(`--sdk-dir and --ably-npm are required\n\n${HELP}`);
  const sdkDir = resolve(values['sdk-dir']);
  const version = prepare(sdkDir, resolve(values['ably-npm']), values['suite-deps'], values['common-dir']);
  const logsDir = resolve(values['logs-dir']);
  mkdirSync(logsDir, { recursive: true });
  const timeoutMs = Number(values['file-timeout']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail('--file-timeout must be a positive integer');

  const sandbox = values['sandbox-url'] ? undefined : createSandbox({ port: 0 });
  const sandboxUrl = values['sandbox-url'] ?? `http://127.0.0.1:${(await sandbox?.listen())?.port}`;
  const env: Record<string, string> = { ABLY_LOCAL_SANDBOX_URL: sandboxUrl, ABLY_TEST_TRANSPORTS: values.transports };
  let echo: Awaited<ReturnType<typeof startEchoServer>>['server'] | undefined;
  let certDir: string | undefined;
  if (!values['no-echo']) {
    // A certificate of this run's own: two runs at once (other worktrees) must not trust each other's.
    certDir = mkdtempSync(join(tmpdir(), 'rollcall-compat-echo-'));
    const tls = makeCertificate(certDir);
    const started = await startEchoServer(tls);
    echo = started.server;
    env.NODE_EXTRA_CA_CERTS = tls.cert;
    env.ROLLCALL_COMPAT_ECHO_ADDRESS = started.address;
  }
  const files = suiteFiles(sdkDir, values.files ? values.files.split(',') : []);
  const startedAt = new Date();
  const tests: TestResult[] = [];
  const fileResults: FileResult[] = [];
  try {
    for (const file of files) {
      const { results, file: summary } = await runFile(sdkDir, file, env, logsDir, timeoutMs);
      tests.push(...results);
      fileResults.push(summary);
      console.log(
        `${file}: ${summary.pass} pass, ${summary.fail} fail, ${summary.skip} skip (${(summary.durationMs / 1000).toFixed(1)} s)${summary.timedOut ? ' TIMED OUT' : ''}`,
      );
    }
  } finally {
    await sandbox?.close();
    echo?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  }
  const report: CompatReport = {
    sdk: { name: 'ably-js', version, build: `npm ably@${version}` },
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    env,
    totals: totalsOf(tests),
    files: fileResults,
    tests,
  };
  mkdirSync(dirname(resolve(values.out)), { recursive: true });
  writeFileSync(resolve(values.out), `${JSON.stringify(report, null, 1)}\n`);
  const { pass, fail: failed, skip } = report.totals;
  console.log(`total: ${pass} pass, ${failed} fail, ${skip} skip; report: ${values.out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
