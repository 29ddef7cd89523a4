import type { DeviceChange, DeviceRegistry } from '../../integrations/device-registry.ts';
import { guard } from './guard.ts';
import type { RedisKeys } from './keys.ts';
import { LuaScript } from './lua-script.ts';
import type { RedisClient } from './redis-client.ts';

const devicesScript = new LuaScript('client-devices');

/**
 * Device sets in Redis (one SET per channel and clientId, in the channel's hash slot), shared by every node and
 * changed by one script per call, so of several nodes reporting the same clientId exactly one sees each transition.
 * Cannot: notice a transition while Redis is unreachable (the call fails and the caller logs it), or survive Redis
 * losing its data (sets are not re-asserted; a clientId present then counts from zero again).
 */
export class RedisDeviceRegistry implements DeviceRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  arrive(channel: string, clientId: string, connectionId: string): Promise<DeviceChange> {
    return this.run('arrive', channel, clientId, connectionId);
  }

  depart(channel: string, clientId: string, connectionId: string): Promise<DeviceChange> {
    return this.run('depart', channel, clientId, connectionId);
  }

  private async run(op: string, channel: string, clientId: string, connectionId: string): Promise<DeviceChange> {
    const reply = (await guard(
      devicesScript.run(this.redis, [this.keys.clientDevices(channel, clientId)], [op, connectionId]),
    )) as [number, number];
    return { changed: Number(reply[0]) === 1, devices: Number(reply[1]) };
  }
}
