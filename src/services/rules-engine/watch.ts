import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { TOPICS } from '../../core/contracts/index.ts';
import { type EventBus, type Subscription, WATCH_FETCH } from '../../ports/index.ts';
import type { PolicyHolder, PolicySwap } from './holder.ts';
import { decodeRuleSet, encodeRuleSet, RULE_SET_KEY } from './message.ts';

export interface WatchOptions {
  /** Called after each effective switch (log it, set the active-version metric). */
  readonly onSwap?: (swap: PolicySwap) => void;
  /** Called for a set that failed validation; the running version stays active. */
  readonly onReject?: (error: Error, info: { offset: bigint; version?: string }) => void;
  /**
   * `ready` resolves after the first rule set record is applied, or after this many ms when the
   * topic is empty (a fresh cluster). Default 3000.
   */
  readonly catchUpMs?: number;
  /** Topic, default `rules`. Tests use a unique one. */
  readonly topic?: string;
}

export interface RuleWatch {
  /** Resolves once the latest deployed set (if any) is active: await it before deciding. */
  readonly ready: Promise<void>;
  /** Stops consuming. */
  close(): Promise<void>;
}

/**
 * Consumes the compacted `rules` topic and swaps the holder atomically.
 *
 * "Every processor instance switches": each watcher joins its own consumer group (unique per
 * process), so every instance receives every record — a broadcast, unlike the shared groups of
 * the transaction stream. It starts from the earliest offset so a new instance replays the
 * compacted topic and ends on the latest deployed set. Offsets are never committed: the group
 * is throw-away.
 */
export async function watchRuleTopic(
  bus: EventBus,
  holder: PolicyHolder,
  options: WatchOptions = {},
): Promise<RuleWatch> {
  const topic = options.topic ?? TOPICS.rules;
  const groupId = `rules-watch-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const sub: Subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    from: 'earliest',
    maxBatchSize: 100,
    fetch: WATCH_FETCH,
  });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const timer = setTimeout(() => markReady(), options.catchUpMs ?? 3000);
  timer.unref();
  let closed = false;

  const loop = (async () => {
    while (!closed) {
      let batch: Awaited<ReturnType<Subscription['next']>>;
      try {
        batch = await sub.next();
      } catch (err) {
        if (closed) return;
        options.onReject?.(err as Error, { offset: -1n });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (batch === null) return;
      // Records arrive in offset order; applying each in turn ends on the latest valid set.
      for (const record of batch) {
        if (record.key !== null && record.key !== RULE_SET_KEY) continue;
        let version: string | undefined;
        try {
          const msg = decodeRuleSet(record.value);
          version = msg.version;
          const swap = holder.deploy(msg.source, msg.file, 'topic');
          if (swap.current !== swap.previous) options.onSwap?.(swap);
        } catch (err) {
          options.onReject?.(err as Error, { offset: record.offset, ...(version ? { version } : {}) });
        }
      }
      clearTimeout(timer);
      markReady();
    }
  })();

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      markReady();
      await sub.close();
      await loop;
    },
  };
}

/** Publishes a (validated) rule set on the `rules` topic. */
export async function publishRuleSet(
  bus: EventBus,
  set: { version: string; file: string; source: string; deployedBy?: string },
  topic: string = TOPICS.rules,
): Promise<void> {
  const value = encodeRuleSet({
    version: set.version,
    file: set.file,
    source: set.source,
    deployed_at: new Date().toISOString(),
    ...(set.deployedBy ? { deployed_by: set.deployedBy } : {}),
  });
  await bus.publish(topic, [{ key: RULE_SET_KEY, value }]);
}
