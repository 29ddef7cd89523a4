import { ManualClock } from '../../time/manual-clock.ts';
import { runAnnotationStoreContract } from '../contract/annotation-store.contract.ts';
import { runBrokerContract } from '../contract/broker.contract.ts';
import { runHistoryStoreContract } from '../contract/history-store.contract.ts';
import { runMessageStoreContract } from '../contract/message-store.contract.ts';
import { runOccupancyStoreContract } from '../contract/occupancy-store.contract.ts';
import { runPresenceStoreContract } from '../contract/presence-store.contract.ts';
import { MemoryAnnotationStore } from './memory-annotation-store.ts';
import { MemoryBroker } from './memory-broker.ts';
import { MemoryHistoryStore } from './memory-history-store.ts';
import { MemoryMessageStore } from './memory-message-store.ts';
import { MemoryOccupancyStore } from './memory-occupancy-store.ts';
import { MemoryPresenceStore } from './memory-presence-store.ts';

runPresenceStoreContract({
  name: 'memory',
  create: async () => {
    const store = new MemoryPresenceStore();
    return { store, peer: store };
  },
});

runBrokerContract({
  name: 'memory',
  create: async () => {
    const history = new MemoryHistoryStore(new ManualClock(), { maxAge: 2_000_000_000_000, maxPerChannel: 100 });
    const messages = new MemoryMessageStore(new ManualClock(), { maxAge: 60_000, maxPerChannel: 100 });
    const annotations = new MemoryAnnotationStore(new ManualClock(), { maxAge: 60_000, maxPerChannel: 100 });
    const broker = new MemoryBroker(history, undefined, messages, annotations);
    return { broker, peer: broker, history, messages, annotations };
  },
  skip: {
    'cross-node-delivery': 'memory: single node only (one process, one event handler)',
    retransmission: 'memory: single node only; a retransmission after a resume is answered by the connection (with-ack.ts)',
  },
});

runHistoryStoreContract({
  name: 'memory',
  create: async (_t, limits) => {
    const clock = new ManualClock();
    return { store: new MemoryHistoryStore(clock, limits), clock };
  },
  skip: { 'out-of-order-append': 'memory: single node only; its one broker appends in seq order' },
});

runOccupancyStoreContract({
  name: 'memory',
  create: async () => {
    const store = new MemoryOccupancyStore();
    return { store, peer: store };
  },
});

runMessageStoreContract({
  name: 'memory',
  create: async () => new MemoryMessageStore(new ManualClock(), { maxAge: 60_000, maxPerChannel: 100 }),
});

runAnnotationStoreContract({
  name: 'memory',
  create: async () => {
    const store = new MemoryAnnotationStore(new ManualClock(), { maxAge: 60_000, maxPerChannel: 100 });
    return { store, peer: store };
  },
});
