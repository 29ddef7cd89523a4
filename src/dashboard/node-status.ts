/** One cluster node as the dashboard shows it. */
export interface NodeStatus {
  nodeId: string;
  /** True for the node serving this dashboard. */
  self: boolean;
  /**
   * `up`: heartbeat within two intervals; `late`: silent longer, not yet declared down; `down`: silent past
   * nodeDownTimeout (about to be reaped); `cut-off`: this node cannot reach the shared backend.
   */
  status: 'up' | 'late' | 'down' | 'cut-off';
  lastBeat: number;
  /** Realtime connections held; known only for this node. */
  connections?: number;
}

export interface NodeStatusInput {
  beats: Array<{ nodeId: string; lastBeat: number }>;
  selfId: string;
  selfHealthy: boolean;
  selfConnections: number;
  now: number;
  heartbeatInterval: number;
  nodeDownTimeout: number;
}

/** Health of every node from its last heartbeat (pure). This node is always listed, first. */
export function nodeStatuses(i: NodeStatusInput): NodeStatus[] {
  const others = i.beats.filter((b) => b.nodeId !== i.selfId).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  const selfBeat = i.beats.find((b) => b.nodeId === i.selfId)?.lastBeat ?? i.now;
  const self: NodeStatus = {
    nodeId: i.selfId,
    self: true,
    status: i.selfHealthy ? 'up' : 'cut-off',
    lastBeat: selfBeat,
    connections: i.selfConnections,
  };
  return [
    self,
    ...others.map((b): NodeStatus => {
      const silent = i.now - b.lastBeat;
      const status = silent > i.nodeDownTimeout ? 'down' : silent > 2 * i.heartbeatInterval ? 'late' : 'up';
      return { nodeId: b.nodeId, self: false, status, lastBeat: b.lastBeat };
    }),
  ];
}
