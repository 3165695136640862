/**
 * Local infrastructure launchers: real Kafka, Neo4j, Redis and PostgreSQL processes started on
 * 127.0.0.1 without Docker, for the proof of concept, the integration tests and `.ci/run`.
 *
 * Each service runs as a detached background process that outlives the CLI call, with its pid
 * file, log file and data under `.run/<service>/` in the repository.
 */

/** One locally launched backing service (`bin/fraud infra up|down|status <name>`). */
export interface LocalService {
  /** Registry name: `kafka`, `neo4j`, `redis`, `postgres`. */
  readonly name: string;
  /**
   * Starts the service and waits until it answers a real client call. Idempotent: when it is
   * already running this is a no-op. Resolves to the environment a client needs, e.g.
   * `{ KAFKA_BROKERS: '127.0.0.1:9092' }` (the variables `src/config` reads).
   */
  up(): Promise<Record<string, string>>;
  /** Stops the service (SIGTERM, then SIGKILL after a timeout). A no-op when it is not running. */
  down(): Promise<void>;
  /** Whether the process is alive and answering, with a one-line human detail (pid, address). */
  status(): Promise<{ running: boolean; detail: string }>;
}

/** What the registry hands each launcher. */
export interface LocalServiceContext {
  /** Repository root (`FRAUD_ROOT`, else the current directory). */
  readonly root: string;
  /** `<root>/.run/<service>` (or `$FRAUD_RUN_DIR/<service>`): pid file, log file and data live here. */
  readonly runDir: string;
  /** Environment to read overrides from (ports, heap), e.g. `FRAUD_KAFKA_PORT`. */
  readonly env: NodeJS.ProcessEnv;
  /** Progress for humans; the CLI sends it to stderr so stdout stays `eval`-able. */
  log(message: string): void;
}

/**
 * Each launcher module (`src/infra/local/<name>.ts`) default-exports one of these, so the
 * registry can import it lazily and `--help` stays cheap.
 */
export type LocalServiceFactory = (ctx: LocalServiceContext) => LocalService;
