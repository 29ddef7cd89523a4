import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** The certificate and key the HTTPS server is built with. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the configured certificate and key and checks, at start-up rather than at the first client's handshake,
 * that the certificate parses and the key is its private key. Errors name the file, never its contents.
 */
export function loadTlsMaterial(certFile: string, keyFile: string): TlsMaterial {
  const cert = readTlsFile(certFile, 'certificate');
  const key = readTlsFile(keyFile, 'key');
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw new Error(`TLS certificate ${certFile} is not a PEM certificate (${(err as Error).message})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`TLS key ${keyFile} is not a usable private key for ${certFile} (${(err as Error).message})`);
  }
  return { cert, key };
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read TLS ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
