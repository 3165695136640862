import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Actor, PgStore } from '../../adapters/store-postgres/index.ts';
import { can, type Permission, type Principal, type Role, satisfiesRole } from '../../core/auth/index.ts';
import { FraudError } from '../../core/errors/index.ts';

/** The session cookie: httpOnly (no script can read it), SameSite=Strict (no cross-site sends). */
export const SESSION_COOKIE = 'fraud_session';
/** Prefix that makes a leaked API token recognisable to secret scanners. */
export const TOKEN_PREFIX = 'fraud_';

export interface AuthOptions {
  readonly store: PgStore;
  /** Session lifetime in seconds. Default 8 hours (one analyst shift). */
  readonly sessionTtlSeconds?: number;
  /** Adds `Secure` to the cookie; set when the console is served over HTTPS. Default false. */
  readonly secureCookie?: boolean;
  /**
   * How long a resolved session or token is trusted without asking the database, in ms.
   * Keeps `POST /v1/decisions` off the database; a revoked token stops working within this
   * time on other instances (immediately on the one that revoked it). Default 10,000.
   */
  readonly cacheMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** SHA-256 of a high-entropy secret; only this is stored (argon2 is for low-entropy passwords). */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

/** The argon2id hash of a fixed string: verifying against it keeps unknown-user logins as slow as real ones. */
let dummyHash: Promise<string> | null = null;

export async function hashPassword(password: string): Promise<string> {
  const { hash } = await import('@node-rs/argon2');
  // @node-rs/argon2 defaults: argon2id, m=19 MiB, t=2, p=1 (the OWASP minimum for argon2id).
  return hash(password);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  const { verify } = await import('@node-rs/argon2');
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/**
 * Authentication and authorisation for every route of the API. `requireRole`/`requirePermission`
 * are self-contained preHandlers (they resolve the caller themselves), so the lead can put
 * them on routes registered outside the console plugin, e.g. `POST /v1/decisions`.
 */
export class ConsoleAuth {
  readonly store: PgStore;
  readonly sessionTtlSeconds: number;
  readonly secureCookie: boolean;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { principal: Principal | null; at: number }>();
  readonly #failures = new Map<string, { first: number; count: number }>();

  constructor(options: AuthOptions) {
    this.store = options.store;
    this.sessionTtlSeconds = options.sessionTtlSeconds ?? 8 * 3600;
    this.secureCookie = options.secureCookie ?? false;
    this.#cacheMs = options.cacheMs ?? 10_000;
  }

  /** The caller, from `Authorization: Bearer <token>` or the session cookie; null if neither is valid. */
  async principalOf(request: FastifyRequest): Promise<Principal | null> {
    if (request.principal) return request.principal;
    const auth = request.headers.authorization;
    let key: string | null = null;
    let kind: 'token' | 'session' = 'token';
    if (auth?.startsWith('Bearer ')) key = auth.slice(7).trim();
    else {
      key = readCookie(request.headers.cookie, SESSION_COOKIE);
      kind = 'session';
    }
    if (!key) return null;
    const hash = secretHash(key);
    const cacheKey = `${kind}:${hash}`;
    const now = Date.now();
    const hit = this.#cache.get(cacheKey);
    let principal: Principal | null;
    if (hit && now - hit.at < this.#cacheMs) principal = hit.principal;
    else {
      principal =
        kind === 'token' ? await this.store.tokenPrincipal(hash) : await this.store.sessionPrincipal(hash);
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(cacheKey, { principal, at: now });
    }
    if (principal) request.principal = principal;
    return principal;
  }

  forget(kind: 'token' | 'session', secret: string): void {
    this.#cache.delete(`${kind}:${secretHash(secret)}`);
  }

  /** Unauthenticated → 401 FRAUD_AUTH_REQUIRED. */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const p = await this.principalOf(request);
    if (!p)
      throw new FraudError('FRAUD_AUTH_REQUIRED', 'sign in or send an API token (Authorization: Bearer …)');
    return p;
  }

  /** preHandler: the caller's role must be `role` or higher (`service`: a service token or an admin). */
  requireRole(role: Role): preHandlerHookHandler {
    return async (request) => {
      const p = await this.authenticate(request);
      if (!satisfiesRole(p.role, role)) {
        throw new FraudError(
          'FRAUD_FORBIDDEN',
          `this action needs role '${role}'; '${p.name}' has '${p.role}'`,
        );
      }
    };
  }

  /** preHandler: the caller's role must hold `permission` in the RBAC table (src/core/auth). */
  requirePermission(permission: Permission): preHandlerHookHandler {
    return async (request) => {
      const p = await this.authenticate(request);
      if (!can(p.role, permission)) {
        throw new FraudError(
          'FRAUD_FORBIDDEN',
          `'${p.name}' (${p.role}) may not ${permission.replace(':', ' ')}`,
        );
      }
    };
  }

  /**
   * One guard for a plugin whose routes mix reads and writes (the rules engine's `rulesPlugin`
   * and `listsPlugin` take a single `guard`): GET/HEAD need `read`, other methods `write`.
   * With `audit`, every successful write is appended to the audit trail as `<audit>.<method>`
   * with the URL, the body and the status, attributed to the caller.
   */
  guard(options: { read: Permission; write: Permission; audit?: string }): preHandlerHookHandler {
    const read = this.requirePermission(options.read);
    const write = this.requirePermission(options.write);
    const store = this.store;
    return async function (this: unknown, request, reply) {
      const isRead = request.method === 'GET' || request.method === 'HEAD';
      await (isRead ? read : write).call(this as never, request, reply, () => {});
      if (isRead || !options.audit) return;
      const actor = actorOf(request);
      const body = typeof request.body === 'string' ? request.body.slice(0, 4000) : request.body;
      reply.raw.once('finish', () => {
        if (reply.raw.statusCode >= 400) return;
        void store
          .appendAudit(actor, {
            action: `${options.audit}.${request.method.toLowerCase()}`,
            targetType: options.audit,
            targetId: request.url,
            after: { status: reply.raw.statusCode, body: body ?? null },
          })
          .catch((err: Error) => request.log.error({ err }, 'audit append failed'));
      });
    };
  }

  /** Checks a password and opens a session; failures are audited and say nothing about which part was wrong. */
  async login(
    username: string,
    password: string,
    reply: FastifyReply,
    meta: { ip: string; requestId: string },
  ) {
    // A brake on password guessing per instance: after 5 failures in 15 minutes the username is
    // refused without checking the password until the window passes (argon2 is the other brake).
    const now = Date.now();
    const f = this.#failures.get(username);
    if (f && now - f.first < 15 * 60_000 && f.count >= 5) {
      throw new FraudError(
        'FRAUD_AUTH_REQUIRED',
        `too many failed sign-ins for '${username.slice(0, 64)}'; try again in ${Math.ceil((f.first + 15 * 60_000 - now) / 60_000)} min`,
      );
    }
    const user = await this.store.findUser(username);
    dummyHash ??= hashPassword('timing-equaliser');
    let ok = false;
    if (user) ok = await verifyPassword(user.password_hash, password);
    else await verifyPassword(await dummyHash, password);
    if (!user || !ok) {
      const prev = this.#failures.get(username);
      if (this.#failures.size > 10_000) this.#failures.clear();
      this.#failures.set(
        username,
        prev && now - prev.first < 15 * 60_000
          ? { first: prev.first, count: prev.count + 1 }
          : { first: now, count: 1 },
      );
      await this.store.appendAudit(
        { name: username.slice(0, 64), role: 'system', ip: meta.ip, requestId: meta.requestId },
        { action: 'auth.login_failed', targetType: 'user', targetId: username.slice(0, 64) },
      );
      throw new FraudError('FRAUD_AUTH_REQUIRED', 'wrong username or password');
    }
    this.#failures.delete(username);
    const secret = newSecret();
    await this.store.createSession(secretHash(secret), user.user_id, this.sessionTtlSeconds);
    await this.store.appendAudit(
      { name: user.username, role: user.role, ip: meta.ip, requestId: meta.requestId },
      { action: 'auth.login', targetType: 'user', targetId: user.username },
    );
    void reply.header('set-cookie', this.#cookie(secret, this.sessionTtlSeconds));
    return { username: user.username, role: user.role };
  }

  async logout(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const secret = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (secret) {
      await this.store.deleteSession(secretHash(secret));
      this.forget('session', secret);
    }
    void reply.header('set-cookie', this.#cookie('', 0));
  }

  #cookie(value: string, maxAge: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookie ? '; Secure' : ''}`;
  }

  /** A new API token; the secret is returned once and only its hash is kept. */
  async issueToken(name: string, role: Role, actor: Actor): Promise<string> {
    const secret = newSecret(TOKEN_PREFIX);
    await this.store.createToken(name, role, secretHash(secret), actor);
    return secret;
  }
}

/** The audit actor for a request (who, from where, which request). */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  if (!p) throw new FraudError('FRAUD_AUTH_REQUIRED', 'not signed in');
  return { name: p.name, role: p.role, ip: request.ip, requestId: String(request.id) };
}
