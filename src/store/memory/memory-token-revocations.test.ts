import { runTokenRevocationsContract } from '../contract/token-revocations.contract.ts';
import { MemoryTokenRevocations } from './memory-token-revocations.ts';

runTokenRevocationsContract({
  name: 'memory',
  create: async () => {
    const revocations = new MemoryTokenRevocations();
    return { revocations, peer: revocations, later: async () => revocations };
  },
});
