import type { Capability } from './capability.ts';

/** Who a connection or REST request acts as, once authenticated. */
export interface Identity {
  appId: string;
  keyName: string;
  /** The effective clientId: concrete, `*` (may act as any), or null (anonymous). */
  clientId: string | null;
  capability: Capability;
  /** True for basic (key) auth, which may act on behalf of any clientId. */
  viaKey: boolean;
  /** True for a token whose clientId is `*`: it may act as any clientId, even after naming one for the connection. */
  wildcard?: boolean;
  /** Token issue time (ms since epoch); undefined for key auth. */
  issued?: number;
  /** Token expiry (ms since epoch); undefined for key auth. */
  expires?: number;
}

/** Whether `identity` may act as `clientId` (for enterClient / publish with an explicit clientId). */
export function mayActAs(identity: Identity, clientId: string): boolean {
  return identity.viaKey || identity.wildcard === true || identity.clientId === '*' || identity.clientId === clientId;
}
