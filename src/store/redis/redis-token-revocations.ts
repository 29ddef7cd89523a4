import {
  checkTargets,
  covers,
  type Revocation,
  type RevocationResult,
  revocationId,
  revocationIdOf,
  type TokenRevocations,
} from '../../auth/revocations.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import type { RedisClients } from './redis-client.ts';

const encode = (r: Revocation): string => `${r.issuedBefore}:${r.appliesAt}`;
const decode = (value: string | null | undefined): Revocation | undefined => {
  if (!value) return undefined;
  const [issuedBefore, appliesAt] = value.split(':').map(Number);
  return Number.isFinite(issuedBefore) && Number.isFinite(appliesAt)
    ? { issuedBefore: issuedBefore as number, appliesAt: appliesAt as number }
    : undefined;
};

/**
 * Revocations shared by the cluster: one Redis hash holds them all (the source of truth a presented token is
 * checked against), and each new one is announced on a pub/sub channel so every node's copy (for the sweep over
 * live connections) learns it at once. The copy is reloaded whenever the subscription (re)connects, so an
 * announcement missed during an outage is caught up. Like the memory backend, revocations are kept for good.
 * While Redis is unreachable a presented token is checked against the copy (the node keeps serving) and a new
 * revocation fails with 50300.
 */
export class RedisTokenRevocations implements TokenRevocations {
  private readonly known = new Map<string, Revocation>();
  private started = false;

  constructor(
    private readonly clients: RedisClients,
    private readonly keys: RedisKeys,
    private readonly fail: (err: unknown) => void = () => {},
  ) {
    const channel = keys.revocationEvents();
    clients.subscriber.on('message', (from: string, payload: string) => {
      if (from !== channel) return;
      const [id, value] = [payload.slice(0, payload.lastIndexOf('\t')), payload.slice(payload.lastIndexOf('\t') + 1)];
      const r = decode(value);
      if (r) this.known.set(id, r);
    });
    // After an outage either client may come back last: catch up when each is ready again.
    const catchUp = () => {
      if (this.started) this.reload().catch(this.fail);
    };
    clients.subscriber.on('ready', catchUp);
    clients.command.on('ready', catchUp);
  }

  /** Subscribes to announcements, then loads every revocation; call once Redis is connected. */
  async start(): Promise<void> {
    await this.clients.subscriber.subscribe(this.keys.revocationEvents());
    await this.reload();
    this.started = true;
  }

  async revoke(keyName: string, targets: string[], issuedBefore: number, appliesAt: number): Promise<RevocationResult[]> {
    const checked = checkTargets(targets);
    const value = encode({ issuedBefore, appliesAt });
    const ids = checked.filter((c) => !c.error).map((c) => revocationId(keyName, c.target));
    if (ids.length > 0) {
      await guard(this.clients.command.hset(this.keys.revocations(), ...ids.flatMap((id) => [id, value])));
      for (const id of ids) this.known.set(id, { issuedBefore, appliesAt });
      await guard(Promise.all(ids.map((id) => this.clients.command.publish(this.keys.revocationEvents(), `${id}\t${value}`))));
    }
    return checked.map(({ target, error }) => (error ? { target, error } : { target, issuedBefore, appliesAt }));
  }

  async isRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): Promise<boolean> {
    const id = revocationIdOf(keyName, clientId);
    if (id === undefined) return false;
    try {
      const stored = decode(await this.clients.command.hget(this.keys.revocations(), id));
      if (stored) this.known.set(id, stored);
      return covers(stored, issued, now);
    } catch {
      return this.isKnownRevoked(keyName, clientId, issued, now);
    }
  }

  isKnownRevoked(keyName: string, clientId: string | null | undefined, issued: number, now: number): boolean {
    const id = revocationIdOf(keyName, clientId);
    return id !== undefined && covers(this.known.get(id), issued, now);
  }

  private async reload(): Promise<void> {
    const all = await this.clients.command.hgetall(this.keys.revocations());
    for (const [id, value] of Object.entries(all)) {
      const r = decode(value);
      if (r) this.known.set(id, r);
    }
  }
}
