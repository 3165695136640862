import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import { featureStoreContract } from './store-contract.ts';

featureStoreContract('memory', async () => new MemoryFeatureStore());
