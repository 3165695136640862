import type { Command } from '../command.ts';
import { parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud users <subcommand> [options]

Manages console users and API tokens in the console store (PostgreSQL: DATABASE_URL, or the
embedded cluster under FRAUD_DATA_DIR — reused if the platform is running).

  add --username U --role viewer|analyst|admin [--password P]
        Creates a user (the first admin too). Without --password the password is read from
        stdin when it is piped, else a random one is generated and printed once.
  passwd --username U [--password P]
        Sets a new password (same rules) and ends the user's sessions.
  list  Lists users and roles.
  token --name N [--role service|viewer|analyst|admin]
        Issues an API token (default role: service, which may only call POST /v1/decisions).
        The secret is printed once; only its hash is stored.
  revoke-token --name N
        Revokes every token with that name.

Every change is written to the audit log as 'cli:<os user>'.
`;

async function withStore<T>(
  fn: (store: import('../../adapters/store-postgres/index.ts').PgStore) => Promise<T>,
): Promise<T> {
  const { loadConfig } = await import('../../config/index.ts');
  const { PgStore } = await import('../../adapters/store-postgres/index.ts');
  const config = loadConfig();
  const store = await PgStore.open({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    log: (m) => process.stderr.write(`users: ${m}\n`),
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function actor() {
  const { userInfo } = await import('node:os');
  return { name: `cli:${userInfo().username}`, role: 'system' as const };
}

/** --password, else one line from piped stdin, else a generated one (printed). */
async function passwordFrom(flag: string | undefined): Promise<{ password: string; generated: boolean }> {
  if (flag !== undefined) return { password: flag, generated: false };
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line) return { password: line, generated: false };
  }
  const { randomBytes } = await import('node:crypto');
  return { password: randomBytes(12).toString('base64url'), generated: true };
}

async function validated(username: string | undefined, password: string) {
  const { FraudError } = await import('../../core/errors/index.ts');
  const { checkPassword, checkUsername } = await import('../../core/auth/index.ts');
  if (!username) throw new FraudError('FRAUD_USAGE', '--username is required');
  const issue = checkUsername(username);
  if (issue) throw new FraudError('FRAUD_USAGE', `--username ${issue}`);
  const pw = checkPassword(password);
  if (pw) throw new FraudError('FRAUD_USAGE', `password ${pw}`);
  return username;
}

const command: Command = {
  name: 'users',
  summary: 'Manage console users and API tokens (users add --username U --role R)',
  usage,
  run: subcommands('users', usage, {
    async add(argv) {
      const { values } = parseFlags(argv, {
        username: { type: 'string' },
        role: { type: 'string' },
        password: { type: 'string' },
      });
      const { FraudError } = await import('../../core/errors/index.ts');
      const { isUserRole, USER_ROLES } = await import('../../core/auth/index.ts');
      if (!isUserRole(values.role))
        throw new FraudError('FRAUD_USAGE', `--role must be one of ${USER_ROLES.join(', ')}`);
      const { password, generated } = await passwordFrom(values.password);
      const username = await validated(values.username, password);
      const { hashPassword } = await import('../../services/console/auth.ts');
      await withStore(async (store) =>
        store.createUser(username, values.role as 'admin', await hashPassword(password), await actor()),
      );
      process.stdout.write(
        `created ${values.role} '${username}'${generated ? ` with password: ${password}` : ''}\n`,
      );
    },
    async passwd(argv) {
      const { values } = parseFlags(argv, { username: { type: 'string' }, password: { type: 'string' } });
      const { password, generated } = await passwordFrom(values.password);
      const username = await validated(values.username, password);
      const { hashPassword } = await import('../../services/console/auth.ts');
      await withStore(async (store) =>
        store.setPassword(username, await hashPassword(password), await actor()),
      );
      process.stdout.write(
        `password of '${username}' changed${generated ? ` to: ${password}` : ''}; sessions ended\n`,
      );
    },
    async list(argv) {
      parseFlags(argv, {});
      const users = await withStore((store) => store.listUsers());
      for (const u of users) {
        process.stdout.write(
          `${u.username.padEnd(24)} ${u.role.padEnd(8)} ${u.disabled_at ? 'disabled' : 'active'}  since ${u.created_at.toISOString()}\n`,
        );
      }
      process.stderr.write(`${users.length} user(s)\n`);
    },
    async token(argv) {
      const { values } = parseFlags(argv, { name: { type: 'string' }, role: { type: 'string' } });
      const { FraudError } = await import('../../core/errors/index.ts');
      const { isRole, TOKEN_ROLES } = await import('../../core/auth/index.ts');
      const role = values.role ?? 'service';
      if (!values.name || !/^[a-z0-9._-]{1,64}$/.test(values.name)) {
        throw new FraudError(
          'FRAUD_USAGE',
          '--name is required: 1-64 lower-case letters, digits, dot, underscore or dash',
        );
      }
      if (!isRole(role))
        throw new FraudError('FRAUD_USAGE', `--role must be one of ${TOKEN_ROLES.join(', ')}`);
      const { ConsoleAuth } = await import('../../services/console/auth.ts');
      const secret = await withStore(async (store) =>
        new ConsoleAuth({ store }).issueToken(values.name!, role, await actor()),
      );
      process.stderr.write(
        `issued ${role} token '${values.name}' (shown once; send as Authorization: Bearer <token>)\n`,
      );
      process.stdout.write(`${secret}\n`);
    },
    async 'revoke-token'(argv) {
      const { values } = parseFlags(argv, { name: { type: 'string' } });
      const { FraudError } = await import('../../core/errors/index.ts');
      if (!values.name) throw new FraudError('FRAUD_USAGE', '--name is required');
      const n = await withStore(async (store) => store.revokeTokens(values.name!, await actor()));
      process.stdout.write(`revoked ${n} token(s) named '${values.name}'\n`);
    },
  }),
};
export default command;
