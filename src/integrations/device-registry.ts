/**
 * Which devices (connections) have at least one member of a clientId on a channel. Every call is atomic and
 * idempotent, so of several nodes reporting changes for the same clientId exactly one sees each transition.
 * `channel` is the namespaced channel key.
 */
export interface DeviceRegistry {
  /** Records that the connection has a member of the clientId; `first` when that made the clientId present. */
  arrive(channel: string, clientId: string, connectionId: string): Promise<DeviceChange>;
  /** Records that it has none any more; `last` when that made the clientId absent. */
  depart(channel: string, clientId: string, connectionId: string): Promise<DeviceChange>;
}

export interface DeviceChange {
  /** The call changed the set (false: the connection was already there, or already gone). */
  changed: boolean;
  /** Devices left after the call. */
  devices: number;
}
