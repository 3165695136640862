/**
 * Local PostgreSQL 15 (Debian `postgresql` binaries) on 127.0.0.1 with a database `fraud`.
 *
 * PostgreSQL refuses to run as root, so when we are root the cluster is created, started and
 * stopped as the `postgres` system user (`runuser`), which owns `.run/postgres/`.
 * Authentication is `trust` on loopback only: this is a developer and CI database, never a
 * shared one (production uses a managed instance with TLS and secrets; see docs/deployment.md).
 *
 * Environment overrides: `FRAUD_POSTGRES_PORT` (default 5432), `FRAUD_POSTGRES_BIN` (default
 * `/usr/lib/postgresql/15/bin`).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FraudError } from '../../core/errors/index.ts';
import {
  elapsedMs,
  ensureDir,
  isOurProcess,
  portFromEnv,
  probePort,
  readPid,
  stopProcess,
  tailFile,
  waitUntil,
} from './process.ts';
import type { LocalService, LocalServiceContext, LocalServiceFactory } from './types.ts';

const exec = promisify(execFile);
const HOST = '127.0.0.1';
/** Superuser role and database created by `initdb`/`up`. */
const ROLE = 'fraud';
const DATABASE = 'fraud';
const SYSTEM_USER = 'postgres';

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) chownTree(join(path, f), uid, gid);
}

class LocalPostgres implements LocalService {
  readonly name = 'postgres';
  readonly #ctx: LocalServiceContext;
  readonly #port: number;
  readonly #bin: string;
  #dataDir: string;
  #logFile: string;

  constructor(ctx: LocalServiceContext) {
    this.#ctx = ctx;
    this.#port = portFromEnv(ctx.env, 'FRAUD_POSTGRES_PORT', 5432);
    this.#bin = ctx.env['FRAUD_POSTGRES_BIN'] || '/usr/lib/postgresql/15/bin';
    // The cluster normally lives in the run directory; see #placeCluster for the exception.
    const pointer = join(ctx.runDir, 'cluster-dir');
    const base = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : ctx.runDir;
    this.#dataDir = join(base, 'data');
    this.#logFile = join(base, 'postgres.log');
  }

  #url(database = DATABASE): string {
    return `postgres://${ROLE}@${HOST}:${this.#port}/${database}`;
  }

  #env(): Record<string, string> {
    return { DATABASE_URL: this.#url() };
  }

  /** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
  async #pg(tool: string, args: string[]): Promise<string> {
    const binary = join(this.#bin, tool);
    const asRoot = process.getuid?.() === 0;
    const [cmd, argv] = asRoot ? ['runuser', ['-u', SYSTEM_USER, '--', binary, ...args]] : [binary, args];
    try {
      const { stdout } = await exec(cmd, argv, { cwd: '/', maxBuffer: 4 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `${tool} failed: ${(e.stderr || e.stdout || e.message).trim()}${
          tool === 'pg_ctl' ? `\n${tailFile(this.#logFile)}` : ''
        }`,
      );
    }
  }

  /** `SELECT 1` against the `fraud` database with the URL we export. */
  async #query(sql: string, database = DATABASE, timeoutMs = 2_000): Promise<unknown[]> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: this.#url(database),
      connectionTimeoutMillis: timeoutMs,
    });
    try {
      await client.connect();
      return (await client.query(sql)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Short timeouts while polling at start-up; `status` allows more (a busy server is not a dead one). */
  async #ready(database = DATABASE, timeoutMs = 2_000): Promise<boolean> {
    return (
      (await probePort(HOST, this.#port, timeoutMs)) &&
      (await this.#query('SELECT 1', database, timeoutMs).then(() => true))
    );
  }

  #postmasterPid(): number | null {
    return readPid(join(this.#dataDir, 'postmaster.pid'));
  }

  /** The port our running cluster listens on (line 4 of postmaster.pid). */
  #runningPort(): number | null {
    const file = join(this.#dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const port = Number(readFileSync(file, 'utf8').split('\n')[3]);
    return Number.isInteger(port) ? port : null;
  }

  #checkSamePort(pid: number): void {
    const running = this.#runningPort();
    if (running !== null && running !== this.#port) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        `our PostgreSQL (pid ${pid}) runs on port ${running}, not ${this.#port}; ` +
          `set FRAUD_POSTGRES_PORT=${running} or run 'bin/fraud infra down postgres' first`,
      );
    }
  }

  async #initCluster(): Promise<void> {
    if (existsSync(join(this.#dataDir, 'PG_VERSION'))) return;
    if (!existsSync(join(this.#bin, 'initdb'))) {
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `PostgreSQL binaries not found in ${this.#bin}; install the Debian 'postgresql' package ` +
          `(scripts/setup.sh system) or set FRAUD_POSTGRES_BIN`,
      );
    }
    ensureDir(this.#dataDir);
    if (process.getuid?.() === 0) await this.#placeCluster();
    this.#ctx.log(`initialising a cluster in ${this.#dataDir}`);
    await this.#pg('initdb', [
      '-D',
      this.#dataDir,
      '-U',
      ROLE,
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-instructions',
    ]);
  }

  /** Waits for the server, then creates the `fraud` database if it is missing. */
  async #ensureDatabase(): Promise<void> {
    await waitUntil(() => this.#ready('postgres'), { timeoutMs: 30_000, what: 'PostgreSQL readiness' });
    const exists = await this.#query(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`, 'postgres');
    if (exists.length === 0) {
      await this.#query(`CREATE DATABASE ${DATABASE}`, 'postgres');
      this.#ctx.log(`created database '${DATABASE}'`);
    }
  }

  /**
   * As root the cluster belongs to the `postgres` user, which must be able to reach it. A checkout
   * under a private directory (e.g. /root, mode 700) is unreachable, so the cluster then goes to
   * a directory of its own under /var/lib/postgresql, recorded in `<runDir>/cluster-dir`.
   */
  async #placeCluster(): Promise<void> {
    const uid = Number((await exec('id', ['-u', SYSTEM_USER])).stdout.trim());
    const gid = Number((await exec('id', ['-g', SYSTEM_USER])).stdout.trim());
    chownTree(this.#ctx.runDir, uid, gid);
    const reachable = await exec('runuser', ['-u', SYSTEM_USER, '--', 'test', '-w', this.#dataDir]).then(
      () => true,
      () => false,
    );
    if (reachable) return;
    const home = existsSync('/var/lib/postgresql') ? '/var/lib/postgresql' : tmpdir();
    const base = join(
      home,
      `fraud-${createHash('sha256').update(this.#ctx.runDir).digest('hex').slice(0, 12)}`,
    );
    // No pointer file yet means a fresh (or purged) run directory: start from an empty cluster.
    rmSync(base, { recursive: true, force: true });
    ensureDir(join(base, 'data'));
    chownTree(base, uid, gid);
    writeFileSync(join(this.#ctx.runDir, 'cluster-dir'), `${base}\n`);
    this.#dataDir = join(base, 'data');
    this.#logFile = join(base, 'postgres.log');
    this.#ctx.log(
      `${this.#ctx.runDir} is not reachable by the ${SYSTEM_USER} user; the cluster lives in ${base}`,
    );
  }

  async up(): Promise<Record<string, string>> {
    const start = performance.now();
    const pid = this.#postmasterPid();
    if (isOurProcess(pid, this.#dataDir)) {
      this.#checkSamePort(pid);
      await this.#ensureDatabase();
      this.#ctx.log(`already running (pid ${pid}) on ${HOST}:${this.#port}`);
      return this.#env();
    }
    if (await probePort(HOST, this.#port)) {
      if (
        await this.#query('SELECT 1').then(
          () => true,
          () => false,
        )
      ) {
        this.#ctx.log(`a PostgreSQL not started by bin/fraud already accepts ${this.#url()}; using it`);
        return this.#env();
      }
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `port ${this.#port} is in use by a process that does not accept ${this.#url()} ` +
          `(another PostgreSQL?); set FRAUD_POSTGRES_PORT to use another port`,
      );
    }
    await this.#initCluster();
    // No Unix socket: its path length limit and directory permissions vary; loopback TCP only.
    const options = [
      `-p ${this.#port}`,
      `-c listen_addresses=${HOST}`,
      "-c unix_socket_directories=''",
      '-c max_connections=200',
      '-c shared_buffers=128MB',
    ].join(' ');
    await this.#pg('pg_ctl', [
      'start',
      '-D',
      this.#dataDir,
      '-l',
      this.#logFile,
      '-o',
      options,
      '-w',
      '-t',
      '60',
    ]);
    await this.#ensureDatabase();
    this.#ctx.log(`ready on ${HOST}:${this.#port} (pid ${this.#postmasterPid()}) in ${elapsedMs(start)} ms`);
    return this.#env();
  }

  async down(): Promise<void> {
    const pid = this.#postmasterPid();
    if (!isOurProcess(pid, this.#dataDir)) {
      const other = await probePort(HOST, this.#port);
      this.#ctx.log(
        other ? `not started by bin/fraud (port ${this.#port} is in use); left alone` : 'not running',
      );
      return;
    }
    const start = performance.now();
    try {
      // Fast shutdown: roll back open transactions, checkpoint, exit.
      await this.#pg('pg_ctl', ['stop', '-D', this.#dataDir, '-m', 'fast', '-w', '-t', '30']);
      this.#ctx.log(`stopped (pid ${pid}) in ${elapsedMs(start)} ms`);
    } catch (err) {
      this.#ctx.log(`pg_ctl stop failed (${(err as Error).message.split('\n')[0]}); signalling pid ${pid}`);
      const how = await stopProcess(pid, 10_000);
      this.#ctx.log(`${how} (pid ${pid}) in ${elapsedMs(start)} ms`);
    }
  }

  async status(): Promise<{ running: boolean; detail: string }> {
    const pid = this.#postmasterPid();
    const ours = isOurProcess(pid, this.#dataDir);
    const elsewhere = ours ? this.#runningPort() : null;
    if (ours && elsewhere !== null && elsewhere !== this.#port) {
      return {
        running: false,
        detail: `pid ${pid} listens on port ${elsewhere}, not FRAUD_POSTGRES_PORT ${this.#port}`,
      };
    }
    const ready = await this.#ready(DATABASE, 10_000).catch(() => false);
    const addr = `${HOST}:${this.#port}`;
    if (ours)
      return { running: ready, detail: `pid ${pid} on ${addr}${ready ? '' : ' (not accepting queries)'}` };
    if (ready) return { running: true, detail: `external PostgreSQL on ${addr} (not started by bin/fraud)` };
    return { running: false, detail: `not running (${addr})` };
  }
}

const create: LocalServiceFactory = (ctx) => new LocalPostgres(ctx);
export default create;
