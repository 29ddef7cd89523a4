// Compatibility-runner reporter for SDK suites run under mocha (test tooling, not shipped code).
// Appends one JSON line per finished test (and per failed hook) to the file named by `--reporter-option output=`,
// synchronously, so a file killed at its time limit still leaves every result it reached. `n` numbers the test
// objects, so a test reported twice (mocha's "done() called multiple times") stays one test.
'use strict';
const fs = require('node:fs');

function errorText(err) {
  if (!err) return undefined;
  const text = err.stack || err.message || String(err);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

class LineReporter {
  constructor(runner, options) {
    const output = options.reporterOptions?.output;
    if (!output) throw new Error('mocha-reporter.cjs needs --reporter-option output=FILE');
    const numbers = new WeakMap();
    let nextNumber = 0;
    const numberOf = (test) => {
      if (!numbers.has(test)) numbers.set(test, nextNumber++);
      return numbers.get(test);
    };
    const write = (test, entry) =>
      fs.appendFileSync(output, `${JSON.stringify({ n: numberOf(test), title: test.fullTitle(), ...entry })}\n`);
    runner.on('pass', (test) => write(test, { verdict: 'pass', durationMs: test.duration ?? 0 }));
    runner.on('pending', (test) => write(test, { verdict: 'skip', durationMs: 0 }));
    runner.on('fail', (test, err) => write(test, { verdict: 'fail', durationMs: test.duration ?? 0, error: errorText(err) }));
  }
}

module.exports = LineReporter;
