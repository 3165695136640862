/**
 * Joining a consumer group through transient broker trouble.
 *
 * The client retries one JoinGroup a few times, one second apart, then gives up. A group
 * coordinator can stay unavailable for longer than that (a broker restarting, a slow append to
 * `__consumer_offsets` on a loaded host), and a processor that dies at start-up over it only
 * moves the wait to whatever restarts it. So a subscription keeps trying, with a growing pause,
 * for as long as every error says it may be retried and the deadline has not passed.
 */

/** The client's error shape: protocol errors carry `canRetry`, aggregates carry `errors`. */
interface ClientError {
  readonly message?: string;
  readonly code?: string;
  readonly apiId?: string;
  /** The broker's own words for a protocol error code, when it sent any. */
  readonly serverErrorMessage?: string | null;
  readonly canRetry?: boolean;
  readonly errors?: unknown[];
  readonly cause?: unknown;
}

function innerErrors(err: unknown): unknown[] {
  const e = err as ClientError;
  return [...(e.errors ?? []), ...(e.cause ? [e.cause] : [])];
}

/** Whether any error in the chain (nested aggregates and causes) passes `test`. */
export function someError(err: unknown, test: (e: ClientError) => boolean, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 4) return false;
  return test(err as ClientError) || innerErrors(err).some((i) => someError(i, test, depth + 1));
}

/** The innermost errors of a chain: the ones that say what actually failed. */
function leafErrors(err: unknown, depth = 0): unknown[] {
  const inner = innerErrors(err);
  if (depth > 4 || inner.length === 0) return [err];
  return inner.flatMap((i) => leafErrors(i, depth + 1));
}

/**
 * One line for a client error: its own message, then each distinct innermost failure with its
 * count. The client nests retries in retries, so a refused connection can appear 16 times.
 */
export function describeClientError(err: unknown): string {
  const e = err as ClientError;
  const self = e.apiId ?? e.message ?? String(err);
  const leaves = leafErrors(err);
  if (leaves.length === 1 && leaves[0] === err) return self;
  const counts = new Map<string, number>();
  for (const leaf of leaves) {
    const l = leaf as ClientError;
    const what = l.apiId
      ? `${l.apiId}${l.serverErrorMessage ? ` (${l.serverErrorMessage})` : ''}`
      : (l.message ?? String(leaf));
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  const parts = [...counts].map(([what, n]) => (n > 1 ? `${what} (×${n})` : what));
  // A wrapper's message repeats its inner messages ("joinGroup failed 4 times. findGroupCoordinator
  // failed 4 times. ..."): its first sentence is its own.
  const own = self.split('. ')[0]!.replace(/\.$/, '');
  return `${own}: ${parts.join('; ')}`;
}

/**
 * Worth another attempt: some error in the chain says it may be retried and none says it may
 * not. An error that says neither (a bad option, a closed client) is not retried.
 */
export function isTransient(err: unknown): boolean {
  return someError(err, (e) => e.canRetry === true) && !someError(err, (e) => e.canRetry === false);
}

export interface JoinRetry {
  /** Attempts made so far (1 after the first failure). */
  readonly attempt: number;
  readonly waitMs: number;
  readonly error: unknown;
}

export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt. */
  readonly timeoutMs: number;
  readonly onRetry?: (retry: JoinRetry) => void;
  /** Pause before attempt n+1 (default: 500 ms doubling, at most 5 s). */
  readonly pauseMs?: (attempt: number) => number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultPause = (attempt: number) => Math.min(5000, 500 * 2 ** (attempt - 1));

/**
 * Runs `attempt` until it resolves. A transient failure is retried after a pause while the
 * pause still ends before the deadline; any other failure, or the deadline, rethrows the last
 * error as it came.
 */
export async function retryWhileTransient<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pause = options.pauseMs ?? defaultPause;
  const deadline = now() + options.timeoutMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const waitMs = pause(n);
      if (!isTransient(error) || now() + waitMs >= deadline) throw error;
      options.onRetry?.({ attempt: n, waitMs, error });
      await sleep(waitMs);
    }
  }
}
