import { type Command, parseFlags, subcommands } from '../command.ts';

const USAGE = `Usage: bin/fraud infra <up|down|status> <service…|all> [options]

Runs real backing services on 127.0.0.1 as background processes, without Docker.
State (pid, log, data) lives in .run/<service>/ in the repository (or $FRAUD_RUN_DIR).

Services:
  kafka     Apache Kafka 4.x, single-node KRaft (jars from Maven Central)   127.0.0.1:9092
  neo4j     Neo4j 5.26 Community (jars from Maven Central)                  bolt 127.0.0.1:7687
  redis     redis-server (Debian package)                                    127.0.0.1:6379
  postgres  PostgreSQL 15 (Debian package), database 'fraud'                 127.0.0.1:5432
  all       the four services above
  prometheus  Prometheus (Debian package) scraping the local API and processor,
            with the shipped alert rules (not part of 'all')               127.0.0.1:9090

Subcommands:
  up       Start the services (no-op for those already running) and print their
           environment as 'export VAR=value' lines on stdout; progress goes to stderr:
             eval "$(bin/fraud infra up kafka redis)"
  down     Stop services started by 'up' (SIGTERM, SIGKILL after a timeout).
           A service this tool did not start is never stopped.
           --purge  also delete its data in .run/<service>/
  status   One line per service; exit code 0 when all are running, 3 otherwise.

Environment:
  FRAUD_KAFKA_PORT (9092), FRAUD_KAFKA_CONTROLLER_PORT (port+1), FRAUD_KAFKA_HEAP (512m),
  FRAUD_KAFKA_AUTO_CREATE_TOPICS (false), FRAUD_KAFKA_TLS (false: when true, also a TLS
  listener on FRAUD_KAFKA_TLS_PORT (port+2) with a local CA; exports KAFKA_TLS_BROKERS and
  KAFKA_TLS_CA_FILE), FRAUD_REDIS_PORT (6379), FRAUD_POSTGRES_PORT (5432),
  FRAUD_NEO4J_PORT (7687), FRAUD_PROMETHEUS_PORT (9090), FRAUD_RUN_DIR (.run).
`;

/** Single-quotes a value for a POSIX shell `eval`. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

async function resolveServices(sub: string, argv: string[], withPurge = false) {
  const { values, positionals } = parseFlags(
    argv,
    withPurge ? { purge: { type: 'boolean', default: false } } : {},
    true,
  );
  const { FraudError } = await import('../../core/errors/index.ts');
  if (positionals.length === 0) {
    throw new FraudError(
      'FRAUD_USAGE',
      `'infra ${sub}' needs a service name (kafka, neo4j, redis, postgres, prometheus or all)`,
    );
  }
  const { expandServiceNames, loadLocalService } = await import('../../infra/local/index.ts');
  const list = expandServiceNames(positionals);
  const services = [];
  for (const n of list) services.push(await loadLocalService(n));
  return { services, purge: (values as { purge?: boolean }).purge === true };
}

async function up(argv: string[]): Promise<number> {
  const { services } = await resolveServices('up', argv);
  const start = performance.now();
  // Start in parallel: the JVMs dominate, and Redis/PostgreSQL are ready long before Kafka.
  const results = await Promise.allSettled(services.map((s) => s.up()));
  let failed = 0;
  const lines: string[] = [];
  results.forEach((r, i) => {
    const name = services[i]!.name;
    if (r.status === 'fulfilled') {
      for (const [k, v] of Object.entries(r.value)) lines.push(`export ${k}=${shellQuote(v)}`);
    } else {
      failed++;
      const err = r.reason as Error & { code?: string };
      process.stderr.write(`infra ${name}: FAILED: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
    }
  });
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  const took = ((performance.now() - start) / 1000).toFixed(1);
  process.stderr.write(
    `infra: ${services.length - failed}/${services.length} service(s) up in ${took} s` +
      (failed
        ? ''
        : ` (eval "$(bin/fraud infra up ${services.map((s) => s.name).join(' ')})" exports them)`) +
      '\n',
  );
  return failed ? 1 : 0;
}

async function down(argv: string[]): Promise<number> {
  const { services, purge } = await resolveServices('down', argv, true);
  const { rm } = await import('node:fs/promises');
  const { localRunDir } = await import('../../infra/local/index.ts');
  let failed = 0;
  // Reverse start order, one at a time: stopping JVMs concurrently on 2 cores gains little.
  for (const s of [...services].reverse()) {
    try {
      await s.down();
      if (purge) {
        const dir = localRunDir(s.name);
        const st = await s.status();
        if (st.running) {
          process.stderr.write(`infra ${s.name}: still answering (${st.detail}); data not purged\n`);
        } else {
          await rm(dir, { recursive: true, force: true });
          process.stderr.write(`infra ${s.name}: purged ${dir}\n`);
        }
      }
    } catch (err) {
      failed++;
      process.stderr.write(`infra ${s.name}: FAILED: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

async function status(argv: string[]): Promise<number> {
  const { services } = await resolveServices('status', argv);
  const states = await Promise.all(
    services.map((s) => s.status().catch((e: Error) => ({ running: false, detail: e.message }))),
  );
  const width = Math.max(...services.map((s) => s.name.length));
  states.forEach((st, i) => {
    process.stdout.write(
      `${services[i]!.name.padEnd(width)}  ${st.running ? 'running' : 'stopped'}  ${st.detail}\n`,
    );
  });
  return states.every((s) => s.running) ? 0 : 3;
}

const command: Command = {
  name: 'infra',
  summary: 'Start, stop and check real Kafka, Neo4j, Redis and PostgreSQL locally (no Docker)',
  usage: USAGE,
  run: subcommands('infra', USAGE, {
    up: (argv) => (argv.includes('--help') || argv.includes('-h') ? help() : up(argv)),
    down: (argv) => (argv.includes('--help') || argv.includes('-h') ? help() : down(argv)),
    status: (argv) => (argv.includes('--help') || argv.includes('-h') ? help() : status(argv)),
  }),
};

async function help(): Promise<number> {
  process.stdout.write(USAGE);
  return 0;
}

export default command;
