import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { PlatformConfig } from '../../config/index.ts';
import type { ListPersistence } from '../../core/lists/index.ts';
import type { EventBus } from '../../ports/index.ts';
import type { PolicyHolder, PolicySwap } from './holder.ts';
import { listsPlugin, rulesPlugin } from './http.ts';
import { ListService, openListService } from './lists.ts';
import { publishRuleSet, type RuleWatch, watchRuleTopic } from './watch.ts';

export interface RulesRuntimeOptions {
  /** Rule set file; default `config.rulesFile`, else `rules/default.yaml`. */
  readonly file?: string;
  /** Watch the `rules` topic (hot reload). Default true. */
  readonly watch?: boolean;
  /** Each effective switch (log it; set the active-version metric). */
  readonly onSwap?: (swap: PolicySwap) => void;
  /** A set rejected on the topic or a list reload that failed; the running state stays. */
  readonly onError?: (err: Error) => void;
  /**
   * Where the lists live. Default: PostgreSQL when DATABASE_URL is set, else
   * `<dataDir>/lists.json`. The API service passes the console store's persistence, so list
   * edits made in the console (audited) reach its decisions.
   */
  readonly listPersistence?: ListPersistence;
}

export interface RulesRuntime {
  /** The decision engine's policy holder: `new DecisionEngine({ policy: runtime.policy, … })`. */
  readonly policy: PolicyHolder;
  readonly lists: ListService;
  /** Where the lists live (for the start-up log). */
  readonly listsWhere: string;
  /** Resolves once the latest deployed set from the topic is active. */
  readonly ready: Promise<void>;
  /** Registers `PUT/GET /v1/rules` (publishing deploys on the bus) and, unless `lists: false`, `/v1/lists`. */
  register(app: FastifyInstance, options?: { guard?: preHandlerHookHandler; lists?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Everything a process needs from the rules engine, in one call: lists (PostgreSQL when
 * DATABASE_URL is set, else `<dataDir>/lists.json`, re-read on change), the policy holder on the
 * configured rule set, and the watcher of the `rules` topic.
 */
export async function startRulesRuntime(
  config: PlatformConfig,
  bus: EventBus,
  options: RulesRuntimeOptions = {},
): Promise<RulesRuntime> {
  const { createPolicyHolder, DEFAULT_RULES_FILE } = await import('./index.ts');
  const opened = options.listPersistence
    ? await (async () => {
        const lists = await ListService.open(options.listPersistence!);
        return { lists, where: 'the console store (PostgreSQL)', close: async () => lists.stop() };
      })()
    : await openListService(config);
  opened.lists.watch(2000, options.onError);
  const policy = await createPolicyHolder(options.file ?? config.rulesFile ?? DEFAULT_RULES_FILE, {
    lists: opened.lists.store,
  });
  if (options.onSwap) policy.onSwap(options.onSwap);
  let watch: RuleWatch | null = null;
  if (options.watch ?? true) {
    watch = await watchRuleTopic(bus, policy, {
      ...(options.onError ? { onReject: (e) => options.onError!(e) } : {}),
    });
  }
  return {
    policy,
    lists: opened.lists,
    listsWhere: opened.where,
    ready: watch?.ready ?? Promise.resolve(),
    async register(app, registerOptions = {}) {
      const guard = registerOptions.guard ? { guard: registerOptions.guard } : {};
      await app.register(rulesPlugin, { policy, publish: (set) => publishRuleSet(bus, set), ...guard });
      if (registerOptions.lists !== false) await app.register(listsPlugin, { lists: opened.lists, ...guard });
    },
    async close() {
      await watch?.close();
      await opened.close();
    },
  };
}
