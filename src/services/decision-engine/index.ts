export { DecisionEngine, type DecisionEngineDeps, type DecisionResult, type Holder } from './engine.ts';
