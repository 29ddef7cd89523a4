import { runDeliveryQueueContract } from '../store/contract/delivery-queue.contract.ts';
import { runDeviceRegistryContract } from '../store/contract/device-registry.contract.ts';
import { ManualClock } from '../time/manual-clock.ts';
import { MemoryDeliveryQueue } from './memory-delivery-queue.ts';
import { MemoryDeviceRegistry } from './memory-device-registry.ts';

runDeviceRegistryContract({
  name: 'memory',
  create: async () => {
    const registry = new MemoryDeviceRegistry();
    return { registry, peer: registry };
  },
});

runDeliveryQueueContract({
  name: 'memory',
  create: async () => {
    const clock = new ManualClock();
    const queue = new MemoryDeliveryQueue(clock);
    return { queue, peer: queue, lapse: async () => clock.advance(60_000) };
  },
});
