import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/presence-client.ts', import.meta.url));

export interface PresenceChild {
  process: ChildProcess;
  connectionId: string;
  /** The SDK's recovery key (`connection.createRecoveryKey()`) taken right after entering. */
  recoveryKey: string;
}

/** Spawns a process whose SDK client enters presence; resolves once it has entered. Killed at test end. */
export function spawnPresenceClient(t: TestContext, options: Record<string, unknown>): Promise<PresenceChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /entered (\S+) (\S*)\n/.exec(out);
      if (m) {
        const recoveryKey = Buffer.from(m[2] as string, 'base64').toString('utf8');
        resolve({ process: child, connectionId: m[1] as string, recoveryKey });
      }
    });
    child.once('exit', (code) => reject(new Error(`presence client exited early (${code})`)));
  });
}
