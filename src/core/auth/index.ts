/**
 * Role-based access control as data (issue 7: "users with roles viewer, analyst and admin …
 * API tokens for services … every route checks its role").
 *
 * People get one of the ordered roles `viewer < analyst < admin`. Machines get API tokens,
 * whose role may be `service` (may submit decisions, nothing else) or any person role.
 * Every route names one permission; this table is the only place that says who holds it,
 * so docs/security.md and the route table can both be checked against it.
 */
export const USER_ROLES = ['viewer', 'analyst', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const TOKEN_ROLES = ['service', ...USER_ROLES] as const;
export type Role = (typeof TOKEN_ROLES)[number];

export const PERMISSIONS = {
  /** Dashboard, stats, alert queue, case list and case view (masked for viewers). */
  'console:read': ['viewer', 'analyst', 'admin'],
  /** Unmasked card, IP, device and customer identifiers. */
  'pii:read': ['analyst', 'admin'],
  /** Assign, note, change status, decide cases (single and bulk). */
  'cases:write': ['analyst', 'admin'],
  /** Read rules and allow/deny lists. */
  'rules:read': ['viewer', 'analyst', 'admin'],
  /** Add or remove allow/deny list entries. */
  'lists:write': ['analyst', 'admin'],
  /** Deploy or roll back rule sets (delegated to the rules engine). */
  'rules:write': ['admin'],
  /** View, export and verify the audit log. */
  'audit:read': ['admin'],
  /** Create users and API tokens. */
  'users:write': ['admin'],
  /** Record and read data-subject consent (LGPD/GDPR). */
  'privacy:manage': ['admin'],
  /** `POST /v1/decisions`: score a transaction. */
  'decisions:write': ['service', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (USER_ROLES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/**
 * `requireRole(r)` semantics: a person role is satisfied by that role or a higher one
 * (admin ⊇ analyst ⊇ viewer); `service` is satisfied by a service token or an admin.
 */
export function satisfiesRole(actual: Role, required: Role): boolean {
  if (required === 'service') return actual === 'service' || actual === 'admin';
  if (actual === 'service') return false;
  return USER_ROLES.indexOf(actual) >= USER_ROLES.indexOf(required);
}

/** Who is calling: a signed-in person (session) or a machine (API token). */
export interface Principal {
  readonly kind: 'session' | 'token';
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/** Usernames are identifiers in the audit trail: short, stable, no spaces. */
export function checkUsername(username: string): string | null {
  return /^[a-z0-9][a-z0-9._-]{1,63}$/.test(username)
    ? null
    : 'must be 2-64 characters: lower-case letters, digits, dot, underscore or dash';
}

/** Minimum password policy; the demo passwords (`analyst-demo`) satisfy it. */
export function checkPassword(password: string): string | null {
  return password.length >= 8 && password.length <= 256 ? null : 'must be 8 to 256 characters';
}
