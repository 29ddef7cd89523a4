import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Whether `openssl` can run here; under CI a missing one is announced as a skipped required suite (it fails CI). */
export function opensslSkip(): string | false {
  if (spawnSync('openssl', ['version']).status === 0) return false;
  const message = 'openssl not found: the TLS suite cannot generate its certificates';
  if (process.env.CI === 'true') console.error(`\n*** REQUIRED SUITE SKIPPED: ${message} ***\n`);
  return message;
}

export interface TestCertificate {
  /** PEM certificate, self-signed, for DNS localhost and IP 127.0.0.1. */
  cert: string;
  /** Its PEM private key (P-256). */
  key: string;
  dir: string;
}

/** A fresh self-signed certificate and key, in a directory removed when the test ends. */
export function makeCertificate(t: TestContext, commonName = 'localhost'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  // -x509 marks it CA:TRUE, so a client given it as an extra CA trusts it as its own root.
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${commonName}`],
      ...['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  return { cert, key, dir };
}
