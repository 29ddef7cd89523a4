import type { Node } from '../node/node.ts';

/** A local connection whose members are in their grace period (dropped abruptly, not yet left). */
export interface GraceEntry {
  connectionId: string;
  clientId: string | null;
  /** When the transport was lost, ms. */
  since: number;
  /** When the members leave unless the client resumes first, ms. */
  endsAt: number;
}

/**
 * Remembers when each local connection lost its transport, from the Node's `transport-lost` / `disposed` events,
 * so the dashboard can say "in grace period since …, leaves in …". Read-only towards the Node: the grace timer
 * itself stays with PresenceService; a connection counts as in grace while it is disconnected with a leave pending.
 * Single node only: connections held by other cluster nodes are not seen.
 */
export class GraceTracker {
  private readonly lostAt = new Map<string, number>();

  constructor(private readonly node: Node) {
    node.events.on('transport-lost', (id: string) => this.lostAt.set(id, node.clock.now()));
    node.events.on('disposed', (id: string) => this.lostAt.delete(id));
  }

  /** Connections of `appId` in their grace period now, oldest drop first. */
  inGrace(appId: string): GraceEntry[] {
    const out: GraceEntry[] = [];
    for (const [id, since] of this.lostAt) {
      const conn = this.node.connections.get(id);
      if (!conn) {
        this.lostAt.delete(id);
        continue;
      }
      // Resumed (connected again) or grace already over (leave timer fired): not in grace.
      if (conn.state !== 'disconnected' || conn.leaveTimer === undefined || conn.identity.appId !== appId) continue;
      out.push({ connectionId: id, clientId: conn.clientId, since, endsAt: since + conn.options.remainPresentFor });
    }
    return out.sort((a, b) => a.since - b.since);
  }
}
