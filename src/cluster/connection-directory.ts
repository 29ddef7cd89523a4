/** What another node needs to continue a connection (Ably resume) after its transport dropped here. */
export interface ConnectionRecord {
  id: string;
  /** The current connection key (a new one on every CONNECTED). */
  key: string;
  /** The key the client presented to get `key`, still accepted (see Connection.previousKey). */
  previousKey?: string;
  appId: string;
  clientId: string | null;
  remainPresentFor: number;
  /** Highest msgSerial processed, so retransmits after the resume are not applied twice. */
  msgSerial: number;
}

/**
 * Connection state shared by all nodes, for resume on any node. Writes are fire-and-forget but kept in call order,
 * and only ever applied while this node owns the connection: once a connection resumed elsewhere, nothing this node
 * does to its stale copy reaches the shared state.
 */
export interface ConnectionDirectory {
  /** Opened or resumed here (with its new key): this node owns it. */
  connected(record: ConnectionRecord): void;
  /**
   * It has processed up to `msgSerial`. Written at most once per liveness sweep, so if this node dies (kill -9) a
   * resume elsewhere can re-apply at most the operations of that last sweep interval.
   */
  progressed(connectionId: string, msgSerial: number): void;
  /** Its transport dropped: its members leave at `leaveAt` unless it resumes, on whichever node. */
  disconnected(connectionId: string, msgSerial: number, leaveAt: number): void;
  /** Closed or expired: its state is gone. */
  forget(connectionId: string): void;
  /**
   * A resume with a key this node does not know: moves the connection here if the key and identity match, with
   * `newKey` as its key, and tells its previous node. Undefined when unknown, expired, closed, mismatched, or while
   * the removal of members whose grace ended is unfinished.
   */
  claim(resumeKey: string, newKey: string, appId: string, clientId: string | null): Promise<ConnectionRecord | undefined>;
}
