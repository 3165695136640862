/**
 * Local Redis 7 (Debian `redis-server`) on 127.0.0.1, the feature store's backing service.
 * Persistence is off (`--save "" --appendonly no`): locally the feature state is rebuilt by
 * replaying Kafka, and a snapshot fork would steal CPU from the pipeline on a 2-core machine.
 *
 * Environment overrides: `FRAUD_REDIS_PORT` (default 6379), `FRAUD_REDIS_SERVER` (binary path,
 * default `redis-server` on PATH).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';
import {
  elapsedMs,
  ensureDir,
  isOurProcess,
  portFromEnv,
  probePort,
  readPid,
  spawnDetached,
  stopOwnProcess,
  tailFile,
  waitUntil,
} from './process.ts';
import type { LocalService, LocalServiceContext, LocalServiceFactory } from './types.ts';

const HOST = '127.0.0.1';
const MARKER = 'redis-server';

/** Sends one inline `PING` and resolves true on `+PONG` (no client library needed). */
export function redisPing(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

class LocalRedis implements LocalService {
  readonly name = 'redis';
  readonly #ctx: LocalServiceContext;
  readonly #port: number;
  readonly #binary: string;
  readonly #pidFile: string;
  readonly #logFile: string;

  constructor(ctx: LocalServiceContext) {
    this.#ctx = ctx;
    this.#port = portFromEnv(ctx.env, 'FRAUD_REDIS_PORT', 6379);
    this.#binary = ctx.env['FRAUD_REDIS_SERVER'] || 'redis-server';
    this.#pidFile = join(ctx.runDir, 'redis.pid');
    this.#logFile = join(ctx.runDir, 'redis.log');
  }

  #env(): Record<string, string> {
    return { REDIS_URL: `redis://${HOST}:${this.#port}` };
  }

  async up(): Promise<Record<string, string>> {
    const start = performance.now();
    const pid = readPid(this.#pidFile);
    if (isOurProcess(pid, MARKER)) {
      await waitUntil(() => redisPing(HOST, this.#port), { timeoutMs: 10_000, what: 'Redis readiness' });
      this.#ctx.log(`already running (pid ${pid}) on ${HOST}:${this.#port}`);
      return this.#env();
    }
    if (await probePort(HOST, this.#port)) {
      if (await redisPing(HOST, this.#port)) {
        this.#ctx.log(`a Redis not started by bin/fraud already answers on ${HOST}:${this.#port}; using it`);
        return this.#env();
      }
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `port ${this.#port} is in use by something that is not Redis; set FRAUD_REDIS_PORT`,
      );
    }
    ensureDir(this.#ctx.runDir);
    const child = spawnDetached({
      command: this.#binary,
      args: [
        '--bind',
        HOST,
        '--port',
        String(this.#port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        this.#ctx.runDir,
      ],
      cwd: this.#ctx.runDir,
      logFile: this.#logFile,
      pidFile: this.#pidFile,
    });
    await waitUntil(() => redisPing(HOST, this.#port), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'Redis readiness',
      abort: () => (isOurProcess(child, MARKER) ? null : `redis-server exited:\n${tailFile(this.#logFile)}`),
    });
    this.#ctx.log(`ready on ${HOST}:${this.#port} (pid ${child}) in ${elapsedMs(start)} ms`);
    return this.#env();
  }

  async down(): Promise<void> {
    await stopOwnProcess({
      pidFile: this.#pidFile,
      marker: MARKER,
      host: HOST,
      port: this.#port,
      timeoutMs: 10_000,
      log: (m) => this.#ctx.log(m),
    });
  }

  async status(): Promise<{ running: boolean; detail: string }> {
    const pid = readPid(this.#pidFile);
    const ours = isOurProcess(pid, MARKER);
    const ready = await redisPing(HOST, this.#port, 5_000);
    const addr = `${HOST}:${this.#port}`;
    if (ours)
      return { running: ready, detail: `pid ${pid} on ${addr}${ready ? '' : ' (not answering PING)'}` };
    if (ready) return { running: true, detail: `external Redis on ${addr} (not started by bin/fraud)` };
    return { running: false, detail: `not running (${addr})` };
  }
}

const create: LocalServiceFactory = (ctx) => new LocalRedis(ctx);
export default create;
