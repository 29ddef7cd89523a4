/** Which nodes are alive, by heartbeat. Times are the nodes' clocks (ms), so nodes need roughly synced clocks. */
export interface NodeRegistry {
  /** Records that `nodeId` is alive at `now`. */
  beat(nodeId: string, now: number): Promise<void>;
  /** Nodes whose last heartbeat is older than `cutoff`. */
  silentSince(cutoff: number): Promise<string[]>;
  /** Claims the cleanup of a dead node for `ttl` ms; true for exactly one caller. */
  claimReap(nodeId: string, by: string, ttl: number): Promise<boolean>;
  /** Every registered node with its last heartbeat (ms), for observers such as the dashboard. Read-only. */
  list(): Promise<Array<{ nodeId: string; lastBeat: number }>>;
  /** Removes a node (reaped, or leaving gracefully). */
  forget(nodeId: string): Promise<void>;
}
