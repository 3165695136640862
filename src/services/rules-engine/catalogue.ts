import { FEATURE_NAMES } from '../../core/features/index.ts';
import type { Catalogue } from '../../core/rules/index.ts';

/**
 * What rules may read: the feature catalogue (always) and the graph signal catalogue, when the
 * graph module publishes one (`GRAPH_SIGNAL_NAMES` in core/graph). Without it any `graph.*`
 * name is accepted and a missing value is simply null.
 */
export async function loadCatalogue(): Promise<Catalogue> {
  let graphSignals: readonly string[] | null = null;
  for (const candidate of ['../../core/graph/index.ts', '../../core/graph/signals.ts']) {
    try {
      const mod = (await import(new URL(candidate, import.meta.url).href)) as {
        GRAPH_SIGNAL_NAMES?: readonly string[];
      };
      if (Array.isArray(mod.GRAPH_SIGNAL_NAMES)) {
        graphSignals = [...mod.GRAPH_SIGNAL_NAMES];
        break;
      }
    } catch {
      // Not published (yet): fall through and accept any graph.* name.
    }
  }
  return Object.freeze({ featureNames: [...FEATURE_NAMES], graphSignals });
}
