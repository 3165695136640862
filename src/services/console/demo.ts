import type { PgStore } from '../../adapters/store-postgres/index.ts';
import type { UserRole } from '../../core/auth/index.ts';
import { type ConsoleAuth, hashPassword, verifyPassword } from './auth.ts';

/**
 * Demo mode (`bin/fraud up` with no configuration): one user per role with the documented
 * passwords, and a fresh service token for `POST /v1/decisions`. Never used when the platform
 * is configured for production; `bin/fraud users add` creates real users.
 */
export const DEMO_USERS: readonly { username: string; password: string; role: UserRole }[] = Object.freeze([
  { username: 'admin', password: 'admin-demo', role: 'admin' },
  { username: 'analyst', password: 'analyst-demo', role: 'analyst' },
  { username: 'viewer', password: 'viewer-demo', role: 'viewer' },
]);

export const DEMO_TOKEN_NAME = 'demo-service';

export interface DemoAccess {
  /** Users whose demo password works (a user whose password was changed is left alone and not listed). */
  readonly users: readonly { username: string; password: string; role: UserRole }[];
  /** A new service token; the previous demo token is revoked. */
  readonly serviceToken: string;
}

export async function ensureDemoAccess(store: PgStore, auth: ConsoleAuth): Promise<DemoAccess> {
  const actor = { name: 'system:demo', role: 'system' as const };
  const users: { username: string; password: string; role: UserRole }[] = [];
  for (const u of DEMO_USERS) {
    const existing = await store.findUser(u.username);
    if (!existing) {
      await store.createUser(u.username, u.role, await hashPassword(u.password), actor);
      users.push(u);
    } else if (existing.role === u.role && (await verifyPassword(existing.password_hash, u.password))) {
      users.push(u);
    }
  }
  await store.revokeTokens(DEMO_TOKEN_NAME, actor);
  const serviceToken = await auth.issueToken(DEMO_TOKEN_NAME, 'service', actor);
  return { users, serviceToken };
}

/** The lines `bin/fraud up` prints so a new user can sign in. */
export function demoBanner(url: string, access: DemoAccess): string {
  const lines = [`Analyst console: ${url}`];
  for (const u of access.users) lines.push(`  ${u.role.padEnd(8)} ${u.username} / ${u.password}`);
  lines.push(`Service token (POST /v1/decisions): Authorization: Bearer ${access.serviceToken}`);
  return `${lines.join('\n')}\n`;
}
