import { resolve } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';
import type { LocalService, LocalServiceContext, LocalServiceFactory } from './types.ts';

export type { LocalService, LocalServiceContext, LocalServiceFactory } from './types.ts';

/**
 * The local launchers, in start order (Kafka first: it is the slowest to become ready and the
 * pipeline depends on it). Each module is imported lazily so `--help` stays cheap.
 */
const LOADERS: Record<string, () => Promise<{ default: LocalServiceFactory }>> = {
  kafka: () => import('./kafka.ts'),
  // Owned by the graph area (src/infra/local/neo4j.ts, infra/local/neo4j/**).
  neo4j: () => import('./neo4j.ts'),
  redis: () => import('./redis.ts'),
  postgres: () => import('./postgres.ts'),
  // Observes the platform rather than backing it, so `all` leaves it out.
  prometheus: () => import('./prometheus.ts'),
};

/** What `all` means: the backing services the platform's variables point at. */
const ALL: readonly string[] = ['kafka', 'neo4j', 'redis', 'postgres'];

/** Names accepted by `bin/fraud infra <up|down|status> <name…|all>`. */
export const LOCAL_SERVICE_NAMES: readonly string[] = Object.freeze(Object.keys(LOADERS));

/** Options for {@link loadLocalService}. */
export interface LoadOptions {
  /** Repository root. Default: `FRAUD_ROOT`, else the current directory. */
  root?: string;
  /** Environment for overrides. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Progress sink. Default: stderr. */
  log?: (message: string) => void;
  /**
   * Directory holding one `<service>/` state folder each. Default: `FRAUD_RUN_DIR`, else
   * `<root>/.run`. Tests point it at a temporary directory to run private instances.
   */
  runBase?: string;
}

/** Where a service's pid, log and data live: `<runBase>/<name>`. */
export function localRunDir(name: string, options: LoadOptions = {}): string {
  const env = options.env ?? process.env;
  const root = resolve(options.root ?? env['FRAUD_ROOT'] ?? process.cwd());
  return resolve(options.runBase ?? env['FRAUD_RUN_DIR'] ?? resolve(root, '.run'), name);
}

/** Builds the launcher for one service by name; unknown names are a usage error. */
export async function loadLocalService(name: string, options: LoadOptions = {}): Promise<LocalService> {
  const load = LOADERS[name];
  if (!load) {
    throw new FraudError(
      'FRAUD_USAGE',
      `unknown local service '${name}'; expected one of ${LOCAL_SERVICE_NAMES.join(', ')} or all`,
    );
  }
  const env = options.env ?? process.env;
  const root = resolve(options.root ?? env['FRAUD_ROOT'] ?? process.cwd());
  const ctx: LocalServiceContext = {
    root,
    runDir: localRunDir(name, { ...options, env, root }),
    env,
    log: options.log ?? ((m) => process.stderr.write(`infra ${name}: ${m}\n`)),
  };
  return (await load()).default(ctx);
}

/** Expands `all` (the four backing services) and removes duplicates. */
export function expandServiceNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    for (const m of n === 'all' ? ALL : [n]) if (!out.includes(m)) out.push(m);
  }
  return out;
}
