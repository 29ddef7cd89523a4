import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ErrorCodes } from './codes.ts';
import { ErrorInfo } from './error-info.ts';

test('error codes are unique', () => {
  const codes = Object.values(ErrorCodes).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
});

test('every error code is documented in docs/errors.md with its status', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const name of Object.keys(ErrorCodes) as Array<keyof typeof ErrorCodes>) {
    const e = ErrorInfo.of(name);
    assert.match(
      doc,
      new RegExp(`\\| ${e.code} \\| ${e.statusCode} \\| ${name} \\|`),
      `${name} (${e.code}) missing from docs/errors.md`,
    );
  }
});

test('4xxxx statuses derive from the code; 8xxxx/9xxxx state theirs', () => {
  assert.equal(ErrorInfo.of('capabilityDenied').statusCode, 401);
  assert.equal(ErrorInfo.of('presenceMembershipLost').statusCode, 500);
  assert.equal(ErrorInfo.of('connectionExpired').statusCode, 400);
});
