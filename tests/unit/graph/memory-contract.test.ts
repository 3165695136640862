import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { describeGraphContract } from './contract.ts';

describeGraphContract('in-process graph', 'mem_', async () => {
  const backend = new MemoryGraph();
  return {
    backend,
    signals: async () => ({ signalsFor: (t) => backend.signalsFor(t), close: async () => {} }),
  };
});
