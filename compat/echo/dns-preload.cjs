// TEST TOOLING ONLY: preloaded into the SDK suite's processes by compat/run.ts so that echo.ably.io (Ably's public
// test echo service, unreachable here) resolves to the local stand-in in echo-server.ts. Every other name resolves
// as usual.
'use strict';
const dns = require('node:dns');

const HOST = 'echo.ably.io';
const ADDRESS = process.env.ROLLCALL_COMPAT_ECHO_ADDRESS || '127.0.0.1';
const original = dns.lookup;
dns.lookup = function lookup(...args) {
  const [hostname, options, callback] = args;
  if (hostname !== HOST) return original.apply(this, args);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address: ADDRESS, family: 4 }]) : cb(null, ADDRESS, 4)));
};
