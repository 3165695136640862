import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FraudError } from '../../core/errors/index.ts';
import {
  checkEntry,
  type ListEntity,
  type ListEntry,
  type ListKind,
  type ListPersistence,
  ListStore,
} from '../../core/lists/index.ts';

/**
 * Lists in embedded mode: one JSON file under the data directory (`<FRAUD_DATA_DIR>/lists.json`),
 * written atomically (temp file + rename) so a reader never sees half a file. The CLI and a
 * running API share it: the service re-reads the file before each change and polls its mtime,
 * so `bin/fraud lists add` reaches a running API within `pollMs`.
 */
export class JsonFileListPersistence implements ListPersistence {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<ListEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let data: { entries?: ListEntry[] };
    try {
      data = JSON.parse(text) as { entries?: ListEntry[] };
    } catch (err) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        `list file ${this.path} is not JSON: ${(err as Error).message}`,
      );
    }
    if (!Array.isArray(data.entries))
      throw new FraudError('FRAUD_CONFIG_INVALID', `list file ${this.path} has no 'entries' array`);
    return data.entries;
  }

  async save(entries: readonly ListEntry[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ format: 'fraud.lists/v1', entries }, null, 1)}\n`);
    await rename(tmp, this.path);
  }

  /** Modification time in ms, or 0 when the file does not exist. */
  async mtime(): Promise<number> {
    try {
      return (await stat(this.path)).mtimeMs;
    } catch {
      return 0;
    }
  }
}

/**
 * The list store plus its persistence. Mutations are serialised (one promise chain) and each
 * re-reads the backing file first, so concurrent writers (CLI and API) do not lose entries.
 */
export class ListService {
  readonly store: ListStore;
  private readonly persistence: ListPersistence;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private seenMtime = 0;

  private constructor(store: ListStore, persistence: ListPersistence) {
    this.store = store;
    this.persistence = persistence;
  }

  static async open(persistence: ListPersistence, store = new ListStore()): Promise<ListService> {
    const s = new ListService(store, persistence);
    await s.reload();
    return s;
  }

  /** Re-reads the backing store. */
  async reload(): Promise<void> {
    if (this.persistence instanceof JsonFileListPersistence) this.seenMtime = await this.persistence.mtime();
    this.store.replaceAll(await this.persistence.load());
  }

  /**
   * Picks up changes made by other processes (the CLI, the console, other instances): a file is
   * re-read when its mtime changes; any other persistence (PostgreSQL) is re-read every `pollMs`.
   * Default every 2 s. A failed reload keeps the current entries and reports through `onError`.
   */
  watch(pollMs = 2000, onError?: (err: Error) => void): void {
    if (this.timer) return;
    const p = this.persistence;
    this.timer = setInterval(() => {
      void (async () => {
        if (p instanceof JsonFileListPersistence && (await p.mtime()) === this.seenMtime) return;
        await this.serial(() => this.reload());
      })().catch((err: Error) => onError?.(err));
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Adds (or replaces) entries; all are validated first, so a bad one changes nothing. */
  add(entries: readonly ListEntry[]): Promise<number> {
    entries.forEach((e, i) => {
      const issues = checkEntry(e);
      if (issues.length > 0) {
        throw new FraudError(
          'FRAUD_REQUEST_INVALID',
          `list entry ${i + 1} ('${String(e.value)}') is invalid`,
          {
            details: issues,
          },
        );
      }
    });
    return this.mutate(() => {
      for (const e of entries) this.store.put(e);
      return entries.length;
    });
  }

  remove(kind: ListKind, entity: ListEntity, value: string): Promise<boolean> {
    return this.mutate(() => this.store.remove(kind, entity, value));
  }

  purgeExpired(now = Date.now()): Promise<number> {
    return this.mutate(() => this.store.purgeExpired(now));
  }

  private mutate<T>(change: () => T): Promise<T> {
    return this.serial(async () => {
      await this.reload();
      const result = change();
      await this.persistence.save(this.store.entries());
      if (this.persistence instanceof JsonFileListPersistence)
        this.seenMtime = await this.persistence.mtime();
      return result;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/**
 * Opens the lists for a process: PostgreSQL when `DATABASE_URL` is set (the console store's
 * `list_entries` table, shared by every instance), otherwise `<dataDir>/lists.json`.
 * Returns the service and a close function for the backing store.
 */
export async function openListService(config: {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
}): Promise<{ lists: ListService; where: string; close: () => Promise<void> }> {
  if (config.databaseUrl) {
    const { openStore } = await import('../../adapters/store-postgres/index.ts');
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    const lists = await ListService.open(store.listPersistence());
    return {
      lists,
      where: 'PostgreSQL (DATABASE_URL)',
      close: async () => {
        lists.stop();
        await store.close();
      },
    };
  }
  const path = `${config.dataDir.replace(/\/$/, '')}/lists.json`;
  const lists = await ListService.open(new JsonFileListPersistence(path));
  return { lists, where: path, close: async () => lists.stop() };
}
