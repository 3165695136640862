import type { CompiledPolicy, PolicyCompiler } from '../../core/decision/index.ts';

export interface PolicySwap {
  readonly previous: CompiledPolicy;
  readonly current: CompiledPolicy;
  /** Where the new set came from: `file`, `api`, `topic`. */
  readonly origin: string;
}

/**
 * The active decision policy of one process, swapped atomically on deploy (issue 4: "every
 * processor instance switches atomically without a restart and reports the active version").
 *
 * The swap is one reference assignment. The decision engine reads `current` once per batch,
 * so a batch is decided by exactly one version, and nothing is lost or paused during a switch.
 * A set that fails validation throws before the assignment: the running version stays.
 */
export class PolicyHolder {
  private active: CompiledPolicy;
  private readonly compiler: PolicyCompiler;
  private readonly listeners = new Set<(swap: PolicySwap) => void>();
  private activatedAt = new Date();

  constructor(initial: CompiledPolicy, compiler: PolicyCompiler) {
    this.active = initial;
    this.compiler = compiler;
  }

  get current(): CompiledPolicy {
    return this.active;
  }

  get since(): Date {
    return this.activatedAt;
  }

  /** Compiles without activating (throws FRAUD_RULES_INVALID / FRAUD_RULE_UNKNOWN_FEATURE). */
  compile(source: string, file: string): CompiledPolicy {
    return this.compiler(source, file);
  }

  /** Validates, compiles and activates a rule set; returns the swap (unchanged when same version). */
  deploy(source: string, file: string, origin: string): PolicySwap {
    return this.swap(this.compiler(source, file), origin);
  }

  swap(next: CompiledPolicy, origin: string): PolicySwap {
    const previous = this.active;
    if (next.version === previous.version) return { previous, current: previous, origin };
    this.active = next;
    this.activatedAt = new Date();
    const swap = { previous, current: next, origin };
    for (const l of this.listeners) {
      try {
        l(swap);
      } catch {
        // A failing listener (metrics, logging) must never undo or block a swap.
      }
    }
    return swap;
  }

  /** Called after every effective swap; returns an unsubscribe function. */
  onSwap(listener: (swap: PolicySwap) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
