/**
 * Local Prometheus (Debian `prometheus` package) scraping the services run on this machine
 * (`infra/prometheus/prometheus.local.yml`: the API on 8080, the processor on 9464) with the
 * shipped alert rules. Not part of `all`: it observes the platform rather than backing it.
 *
 * Environment overrides: `FRAUD_PROMETHEUS_PORT` (default 9090), `FRAUD_PROMETHEUS_BIN` (default
 * `prometheus` on PATH), `FRAUD_PROMETHEUS_CONFIG` (default the repository's local config).
 */
import { execFile } from 'node:child_process';
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
  spawnDetached,
  stopOwnProcess,
  tailFile,
  waitUntil,
} from './process.ts';
import type { LocalService, LocalServiceContext, LocalServiceFactory } from './types.ts';

const exec = promisify(execFile);
const HOST = '127.0.0.1';

class LocalPrometheus implements LocalService {
  readonly name = 'prometheus';
  readonly #ctx: LocalServiceContext;
  readonly #port: number;
  readonly #binary: string;
  readonly #config: string;
  readonly #dataDir: string;
  readonly #pidFile: string;
  readonly #logFile: string;

  constructor(ctx: LocalServiceContext) {
    this.#ctx = ctx;
    this.#port = portFromEnv(ctx.env, 'FRAUD_PROMETHEUS_PORT', 9090);
    this.#binary = ctx.env['FRAUD_PROMETHEUS_BIN'] || 'prometheus';
    this.#config =
      ctx.env['FRAUD_PROMETHEUS_CONFIG'] || join(ctx.root, 'infra/prometheus/prometheus.local.yml');
    this.#dataDir = join(ctx.runDir, 'data');
    this.#pidFile = join(ctx.runDir, 'prometheus.pid');
    this.#logFile = join(ctx.runDir, 'prometheus.log');
  }

  get #url(): string {
    return `http://${HOST}:${this.#port}`;
  }

  /** The storage path is unique to this run directory: it identifies our process. */
  get #marker(): string {
    return `--storage.tsdb.path=${this.#dataDir}`;
  }

  async #ready(timeoutMs = 2_000): Promise<boolean> {
    const res = await fetch(`${this.#url}/-/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  }

  async up(): Promise<Record<string, string>> {
    const start = performance.now();
    const env = { PROMETHEUS_URL: this.#url };
    const pid = readPid(this.#pidFile);
    if (isOurProcess(pid, this.#marker)) {
      await waitUntil(() => this.#ready(), { timeoutMs: 30_000, what: 'Prometheus readiness' });
      this.#ctx.log(`already running (pid ${pid}) on ${this.#url}`);
      return env;
    }
    if (await probePort(HOST, this.#port)) {
      if (await this.#ready().catch(() => false)) {
        this.#ctx.log(`a Prometheus not started by bin/fraud already answers on ${this.#url}; using it`);
        return env;
      }
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `port ${this.#port} is in use by something that is not Prometheus; set FRAUD_PROMETHEUS_PORT`,
      );
    }
    try {
      await exec(this.#binary, ['--version']);
    } catch {
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `'${this.#binary}' not found: install the Debian package (apt-get install prometheus) or set FRAUD_PROMETHEUS_BIN`,
      );
    }
    ensureDir(this.#dataDir);
    const child = spawnDetached({
      command: this.#binary,
      args: [
        `--config.file=${this.#config}`,
        this.#marker,
        `--web.listen-address=${HOST}:${this.#port}`,
        '--storage.tsdb.retention.time=2d',
      ],
      cwd: this.#ctx.runDir,
      logFile: this.#logFile,
      pidFile: this.#pidFile,
    });
    await waitUntil(() => this.#ready(), {
      timeoutMs: 30_000,
      what: 'Prometheus readiness',
      abort: () =>
        isOurProcess(child, this.#marker) ? null : `prometheus exited:\n${tailFile(this.#logFile)}`,
    });
    this.#ctx.log(`ready on ${this.#url} (pid ${child}, config ${this.#config}) in ${elapsedMs(start)} ms`);
    return env;
  }

  async down(): Promise<void> {
    await stopOwnProcess({
      pidFile: this.#pidFile,
      marker: this.#marker,
      host: HOST,
      port: this.#port,
      timeoutMs: 15_000,
      log: (m) => this.#ctx.log(m),
    });
  }

  async status(): Promise<{ running: boolean; detail: string }> {
    const pid = readPid(this.#pidFile);
    const ours = isOurProcess(pid, this.#marker);
    const ready = await this.#ready(5_000).catch(() => false);
    if (ours) return { running: ready, detail: `pid ${pid} on ${this.#url}${ready ? '' : ' (not ready)'}` };
    if (ready)
      return { running: true, detail: `external Prometheus on ${this.#url} (not started by bin/fraud)` };
    return { running: false, detail: `not running (${this.#url})` };
  }
}

const create: LocalServiceFactory = (ctx) => new LocalPrometheus(ctx);
export default create;
