import type { DeviceChange, DeviceRegistry } from './device-registry.ts';

/** Device sets in this process. Single node only: each node would count only its own devices. */
export class MemoryDeviceRegistry implements DeviceRegistry {
  private readonly byChannel = new Map<string, Map<string, Set<string>>>();

  async arrive(channel: string, clientId: string, connectionId: string): Promise<DeviceChange> {
    let clients = this.byChannel.get(channel);
    if (!clients) this.byChannel.set(channel, (clients = new Map()));
    let devices = clients.get(clientId);
    if (!devices) clients.set(clientId, (devices = new Set()));
    const changed = !devices.has(connectionId);
    devices.add(connectionId);
    return { changed, devices: devices.size };
  }

  async depart(channel: string, clientId: string, connectionId: string): Promise<DeviceChange> {
    const clients = this.byChannel.get(channel);
    const devices = clients?.get(clientId);
    if (!clients || !devices) return { changed: false, devices: 0 };
    const changed = devices.delete(connectionId);
    if (devices.size === 0) clients.delete(clientId);
    if (clients.size === 0) this.byChannel.delete(channel);
    return { changed, devices: devices.size };
  }
}
