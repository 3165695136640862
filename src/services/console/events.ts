import pg from 'pg';
import type { ConsoleEvent } from '../../adapters/store-postgres/index.ts';
import { NOTIFY_CHANNEL } from '../../adapters/store-postgres/index.ts';
import { can, type Role } from '../../core/auth/index.ts';
import { maskCardId, maskId } from '../../core/cases/index.ts';

interface Client {
  readonly role: Role;
  write(chunk: string): void;
  end(): void;
}

/**
 * Live updates for browsers (server-sent events). Events come from PostgreSQL NOTIFY, sent in
 * the same transaction as the change, so every console instance sees every alert and case
 * change no matter which instance ingested or decided it, and only after it is committed.
 */
export class ConsoleEvents {
  readonly #url: string;
  readonly #clients = new Set<Client>();
  readonly #log: (m: string) => void;
  #listener: pg.Client | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | null = null;

  constructor(databaseUrl: string, log: (m: string) => void = () => {}) {
    this.#url = databaseUrl;
    this.#log = log;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  async start(): Promise<void> {
    await this.#listen();
    // Comments every 15 s keep proxies from closing an idle stream.
    this.#heartbeat = setInterval(() => this.#send(': ping\n\n'), 15_000);
    this.#heartbeat.unref();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (n) => {
      if (n.channel !== NOTIFY_CHANNEL || !n.payload) return;
      try {
        this.publish(JSON.parse(n.payload) as ConsoleEvent | { type: 'lists' });
      } catch {
        // Payloads are written by the store; one we cannot parse is dropped, not fatal.
      }
    });
    client.on('error', (err) => {
      this.#log(`live updates lost their database connection: ${err.message}; reconnecting`);
      this.#reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.#listener = client;
  }

  #reconnect(): void {
    if (this.#closed || this.#retry) return;
    void this.#listener?.end().catch(() => undefined);
    this.#listener = null;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#listen().catch(() => this.#reconnect());
    }, 1_000);
    this.#retry.unref();
  }

  add(client: Client): () => void {
    this.#clients.add(client);
    return () => this.#clients.delete(client);
  }

  /** Sends one event to every client, masked for clients who may not see PII. */
  publish(event: ConsoleEvent | { type: 'lists' }): void {
    const full = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    let masked: string | null = null;
    for (const c of this.#clients) {
      if (event.type === 'alert' && !can(c.role, 'pii:read')) {
        masked ??= `event: alert\ndata: ${JSON.stringify({ ...event, card_id: maskCardId(event.card_id), customer_id: maskId(event.customer_id) })}\n\n`;
        c.write(masked);
      } else c.write(full);
    }
  }

  #send(chunk: string): void {
    for (const c of this.#clients) c.write(chunk);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#retry) clearTimeout(this.#retry);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
    await this.#listener?.end().catch(() => undefined);
  }
}
