import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { DeviceRegistry } from '../../integrations/device-registry.ts';

export interface DeviceRegistryContractOptions {
  name: string;
  /** `registry` and `peer` act as two nodes on one backend. */
  create(t: TestContext): Promise<{ registry: DeviceRegistry; peer: DeviceRegistry }>;
  skip?: Partial<Record<'cross-node', string>>;
  skipAll?: string | false;
}

/** The DeviceRegistry contract (STYLE habit 2). */
export function runDeviceRegistryContract(o: DeviceRegistryContractOptions): void {
  describe(`DeviceRegistry contract: ${o.name}`, { skip: o.skipAll ?? false }, () => {
    it('counts devices per channel and clientId; repeats change nothing', async (t) => {
      const { registry } = await o.create(t);
      assert.deepEqual(await registry.arrive('app:a', 'u', 'c1'), { changed: true, devices: 1 });
      assert.deepEqual(await registry.arrive('app:a', 'u', 'c1'), { changed: false, devices: 1 });
      assert.deepEqual(await registry.arrive('app:a', 'u', 'c2'), { changed: true, devices: 2 });
      assert.deepEqual(await registry.arrive('app:b', 'u', 'c1'), { changed: true, devices: 1 }, 'channels are separate');
      assert.deepEqual(await registry.arrive('app:a', 'v', 'c1'), { changed: true, devices: 1 }, 'clientIds are separate');
      assert.deepEqual(await registry.depart('app:a', 'u', 'c1'), { changed: true, devices: 1 });
      assert.deepEqual(await registry.depart('app:a', 'u', 'c1'), { changed: false, devices: 1 });
      assert.deepEqual(await registry.depart('app:a', 'u', 'c2'), { changed: true, devices: 0 });
      assert.deepEqual(await registry.depart('app:a', 'u', 'c2'), { changed: false, devices: 0 });
      assert.deepEqual(await registry.depart('app:z', 'nobody', 'c9'), { changed: false, devices: 0 });
    });

    it('of concurrent changes from two nodes, exactly one sees each transition', {
      skip: o.skip?.['cross-node'] ?? false,
    }, async (t) => {
      const { registry, peer } = await o.create(t);
      const devices = Array.from({ length: 20 }, (_, i) => `c${i}`);
      const arrived = await Promise.all(devices.map((c, i) => (i % 2 ? registry : peer).arrive('app:s', 'u', c)));
      assert.equal(arrived.filter((r) => r.changed && r.devices === 1).length, 1, 'one online');
      const departed = await Promise.all(devices.map((c, i) => (i % 2 ? peer : registry).depart('app:s', 'u', c)));
      assert.equal(departed.filter((r) => r.changed && r.devices === 0).length, 1, 'one offline');
    });
  });
}
