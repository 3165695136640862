import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { TOPICS } from '../../core/contracts/index.ts';
import { type EventBus, type ModelScorer, type Subscription, WATCH_FETCH } from '../../ports/index.ts';
import { isRegistrySpec, resolveRegistrySpec } from './registry.ts';
import { type LoadModelOptions, loadModel, type OnnxModel } from './scorer.ts';

/**
 * Hot swap without restart (issue 5: "Promotion is one command, and every instance hot-swaps
 * the model without a restart").
 *
 * Two triggers, one mechanism:
 * - polling (the guarantee): every `intervalMs` the watcher re-resolves its spec — the alias
 *   in the registry, or the files' mtimes for a directory — and reloads when it changed;
 * - the `models` topic (the fast path): `bin/fraud models promote` publishes a
 *   `{"type":"model_promoted",…}` message; every instance reads it with its own consumer group
 *   (a broadcast, not a shared queue) and checks at once.
 *
 * The new model is fully loaded and checked (feature set version) before the swap, which is
 * one assignment to `slot.current`: the decision engine reads it once per batch, so a batch
 * never mixes versions. A model that fails to load leaves the running one in place. The old
 * session is released after `closeDelayMs`, once in-flight batches have finished with it.
 */

export const MODEL_EVENT_TYPE = 'model_promoted';

/** The message on the `models` topic. */
export interface ModelEvent {
  readonly type: typeof MODEL_EVENT_TYPE;
  readonly name: string;
  readonly alias: string;
  readonly version: string;
  readonly at: string;
}

/** Where the watcher puts the model: the platform's `SwapHolder<ModelScorer | null>`. */
export interface ModelSlot {
  current: ModelScorer | null;
}

export interface ModelWatcherOptions {
  /** Directory, `models:/name@alias`, or null for the shipped default (models/default). */
  readonly spec: string | null;
  readonly slot: ModelSlot;
  /** Re-resolve period. Default 30 000 ms; 0 disables polling. */
  readonly intervalMs?: number;
  /** Listen on the `models` topic for promotions. Default: no bus (polling only). */
  readonly bus?: EventBus;
  /** Delay before releasing a replaced model's session. Default 10 000 ms. */
  readonly closeDelayMs?: number;
  readonly loadOptions?: LoadModelOptions;
  readonly onSwap?: (previous: string | null, next: string | null) => void;
  readonly onError?: (err: unknown) => void;
}

export class ModelWatcher {
  private readonly options: ModelWatcherOptions;
  private fingerprint: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private subscription: Subscription | null = null;
  private checking: Promise<boolean> | null = null;
  private stopped = false;
  private readonly pendingCloses = new Set<NodeJS.Timeout>();

  constructor(options: ModelWatcherOptions) {
    this.options = options;
  }

  /**
   * Loads the model now, then starts polling and listening. With `failFast` (default) a model
   * that cannot load throws; without, the error goes to `onError` and the watcher keeps trying.
   */
  async start(options: { failFast?: boolean } = {}): Promise<OnnxModel | null> {
    await this.check(options.failFast ?? true);
    const every = this.options.intervalMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.check().catch((err) => this.options.onError?.(err));
      }, every);
      this.timer.unref();
    }
    if (this.options.bus) void this.listen(this.options.bus);
    return this.options.slot.current as OnnxModel | null;
  }

  /** Re-resolves the spec; reloads and swaps when it changed. Returns whether it swapped. */
  check(throwOnError = false): Promise<boolean> {
    // One check at a time: a topic message during a poll joins the running check.
    this.checking ??= this.doCheck(throwOnError).finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async doCheck(throwOnError: boolean): Promise<boolean> {
    try {
      const fp = await this.currentFingerprint();
      if (fp === this.fingerprint) return false;
      const next = await loadModel(this.options.spec, this.options.loadOptions);
      if (this.stopped) {
        await next?.close();
        return false;
      }
      const previous = this.options.slot.current;
      this.options.slot.current = next;
      this.fingerprint = fp;
      if (previous && previous !== next) this.closeLater(previous);
      if ((previous?.version ?? null) !== (next?.version ?? null)) {
        this.options.onSwap?.(previous?.version ?? null, next?.version ?? null);
      }
      return true;
    } catch (err) {
      if (throwOnError) throw err;
      this.options.onError?.(err);
      return false;
    }
  }

  private async currentFingerprint(): Promise<string> {
    const spec = this.options.spec;
    const root = this.options.loadOptions?.root ?? process.env['FRAUD_ROOT'] ?? process.cwd();
    if (spec !== null && isRegistrySpec(spec)) {
      const r = await resolveRegistrySpec(spec, { root });
      return `${r.name}/${r.version}@${r.dir}`;
    }
    const dir = spec === null ? join(root, 'models', 'default') : resolve(spec);
    const parts: string[] = [dir];
    for (const f of ['model.onnx', 'model.json', join('extra_files', 'model.json')]) {
      const p = join(dir, f);
      if (existsSync(p)) {
        const s = await stat(p);
        parts.push(`${f}:${s.mtimeMs}:${s.size}`);
      }
    }
    return parts.join('|');
  }

  private closeLater(model: ModelScorer): void {
    const t = setTimeout(() => {
      this.pendingCloses.delete(t);
      model.close().catch(() => {});
    }, this.options.closeDelayMs ?? 10_000);
    t.unref();
    this.pendingCloses.add(t);
  }

  private async listen(bus: EventBus): Promise<void> {
    try {
      // A group of its own per instance: every instance must see every promotion.
      this.subscription = await bus.subscribe({
        groupId: `model-watch-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        topics: [TOPICS.models],
        from: 'latest',
        maxBatchSize: 50,
        fetch: WATCH_FETCH,
      });
      for (;;) {
        const batch = await this.subscription.next();
        if (batch === null || this.stopped) return;
        const relevant = batch.some((r) => {
          try {
            return (JSON.parse(r.value.toString('utf8')) as Partial<ModelEvent>).type === MODEL_EVENT_TYPE;
          } catch {
            return false;
          }
        });
        if (relevant) await this.check();
        await this.subscription.commit(batch);
      }
    } catch (err) {
      if (!this.stopped) this.options.onError?.(err);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.subscription?.close().catch(() => {});
    this.subscription = null;
    await this.checking?.catch(() => {});
  }
}

/** The message `bin/fraud models promote` publishes on the `models` topic. */
export function modelEvent(name: string, alias: string, version: string): ModelEvent {
  return { type: MODEL_EVENT_TYPE, name, alias, version, at: new Date().toISOString() };
}

export interface PlatformModelsOptions {
  /** Champion spec: `FRAUD_MODEL` (null = the shipped models/default). */
  readonly champion: string | null;
  /** Challenger spec, scored in shadow: `FRAUD_CHALLENGER_MODEL` (null = none). */
  readonly challenger: string | null;
  readonly championSlot: ModelSlot;
  readonly challengerSlot: ModelSlot;
  readonly bus?: EventBus;
  /** Registry / file poll period. Default 30 000 ms. */
  readonly intervalMs?: number;
  readonly loadOptions?: LoadModelOptions;
  readonly onSwap?: (role: 'champion' | 'challenger', previous: string | null, next: string | null) => void;
  readonly onError?: (role: 'champion' | 'challenger', err: unknown) => void;
}

/**
 * Loads and watches the champion and (optionally) the challenger for one platform instance.
 * A model named explicitly that cannot load fails the start (a misconfiguration must be loud);
 * the shipped default that cannot load (e.g. a feature set mismatch) is reported and the
 * instance runs without a model (decisions fall back to rules and review) until a valid one
 * appears.
 */
export async function startModelWatchers(options: PlatformModelsOptions): Promise<{ stop(): Promise<void> }> {
  const watchers: ModelWatcher[] = [];
  const roles = [
    ['champion', options.champion, options.championSlot],
    ['challenger', options.challenger, options.challengerSlot],
  ] as const;
  for (const [role, spec, slot] of roles) {
    if (role === 'challenger' && spec === null) continue;
    const watcher = new ModelWatcher({
      spec,
      slot,
      bus: options.bus,
      intervalMs: options.intervalMs,
      loadOptions: options.loadOptions,
      onSwap: (a, b) => options.onSwap?.(role, a, b),
      onError: (err) => options.onError?.(role, err),
    });
    try {
      // The default keeps being watched after a failed load: a retrained model dropped in
      // place is picked up without a restart.
      await watcher.start({ failFast: spec !== null });
    } catch (err) {
      await Promise.all(watchers.map((w) => w.stop()));
      throw err;
    }
    watchers.push(watcher);
  }
  return {
    async stop() {
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}
