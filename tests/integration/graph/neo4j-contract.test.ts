import { afterAll } from 'vitest';
import { Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import { Neo4jGraphSignals } from '../../../src/adapters/graph-neo4j/signals.ts';
import { describeGraphContract } from '../../unit/graph/contract.ts';
import { neo4jUri, runPrefix } from './neo4j-env.ts';

const backends: Neo4jGraph[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describeGraphContract('Neo4j', runPrefix('contract'), async () => {
  const backend = new Neo4jGraph({ uri: neo4jUri() });
  backends.push(backend);
  return {
    backend,
    // A fresh cache that learns the graph only through a refresh from Neo4j (no observe()).
    signals: async () => {
      const source = new Neo4jGraphSignals(backend.driver, { refreshMs: 0 }, false);
      await source.refresh();
      return source;
    },
  };
});
