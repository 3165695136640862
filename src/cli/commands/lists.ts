import { type Command, parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud lists <add|remove|show|import|purge> [options]

Allow and deny lists for card, customer, device, ip, merchant and country. An allow-list hit
approves at once (reason allow_list_<entity>); a deny-list hit blocks (deny_list_<entity>).
Stored in PostgreSQL when DATABASE_URL is set, else in <FRAUD_DATA_DIR>/lists.json, which a
running API re-reads within 2 s.

  add KIND ENTITY VALUE      Add or replace an entry. KIND: allow|deny.
      --expires WHEN         Expiry: 30m, 12h, 7d, 2w or an ISO-8601 date(-time). Default: never.
      --reason TEXT          Why (shown to analysts).
  remove KIND ENTITY VALUE   Remove an entry.
  show [--kind K] [--entity E] [--json] [--all]
                             List live entries (--all includes expired ones).
  import FILE.csv [--kind K] [--entity E]
                             Import a CSV with a header naming value and any of kind, entity,
                             expires_at, reason (--kind/--entity fill missing columns). Bad lines
                             are reported with their line number; good lines are kept.
  purge                      Delete expired entries.

Examples:
  bin/fraud lists add deny card card_1234 --expires 7d --reason chargeback
  bin/fraud lists import blocked-devices.csv --kind deny --entity device
`;

async function open() {
  const { loadConfig } = await import('../../config/index.ts');
  const { openListService } = await import('../../services/rules-engine/lists.ts');
  return openListService(loadConfig());
}

async function kindEntity(kind: string | undefined, entity: string | undefined) {
  const { LIST_KINDS, LIST_ENTITIES } = await import('../../core/lists/index.ts');
  const { FraudError } = await import('../../core/errors/index.ts');
  if (kind !== undefined && !(LIST_KINDS as readonly string[]).includes(kind)) {
    throw new FraudError('FRAUD_USAGE', `KIND must be one of ${LIST_KINDS.join(', ')}, got '${kind}'`);
  }
  if (entity !== undefined && !(LIST_ENTITIES as readonly string[]).includes(entity)) {
    throw new FraudError('FRAUD_USAGE', `ENTITY must be one of ${LIST_ENTITIES.join(', ')}, got '${entity}'`);
  }
  return {
    kind: kind as 'allow' | 'deny' | undefined,
    entity: entity as import('../../core/lists/index.ts').ListEntity | undefined,
  };
}

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { expires: { type: 'string' }, reason: { type: 'string' } },
    true,
  );
  const { FraudError } = await import('../../core/errors/index.ts');
  if (positionals.length !== 3) throw new FraudError('FRAUD_USAGE', 'lists add needs KIND ENTITY VALUE');
  const { kind, entity } = await kindEntity(positionals[0], positionals[1]);
  const { parseExpiry } = await import('../../core/lists/index.ts');
  const now = Date.now();
  const entry = {
    kind: kind!,
    entity: entity!,
    value: positionals[2]!,
    ...(values.expires ? { expires_at: parseExpiry(values.expires, now) } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
    added_at: new Date(now).toISOString(),
    added_by: process.env['USER'] ?? 'cli',
  };
  const { lists, where, close } = await open();
  try {
    await lists.add([entry]);
  } finally {
    await close();
  }
  process.stdout.write(
    `added ${entry.kind} ${entry.entity} '${entry.value}'${entry.expires_at ? ` until ${entry.expires_at}` : ''} (${where})\n`,
  );
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {}, true);
  const { FraudError } = await import('../../core/errors/index.ts');
  if (positionals.length !== 3) throw new FraudError('FRAUD_USAGE', 'lists remove needs KIND ENTITY VALUE');
  const { kind, entity } = await kindEntity(positionals[0], positionals[1]);
  const { lists, where, close } = await open();
  let removed: boolean;
  try {
    removed = await lists.remove(kind!, entity!, positionals[2]!);
  } finally {
    await close();
  }
  if (!removed) {
    process.stderr.write(`no ${kind} entry for ${entity} '${positionals[2]}' (${where})\n`);
    return 1;
  }
  process.stdout.write(`removed ${kind} ${entity} '${positionals[2]}' (${where})\n`);
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    kind: { type: 'string' },
    entity: { type: 'string' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
  });
  const filter = await kindEntity(values.kind, values.entity);
  const { lists, where, close } = await open();
  const now = Date.now();
  const entries = lists.store
    .entries({
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.entity ? { entity: filter.entity } : {}),
    })
    .filter((e) => values.all || !e.expires_at || Date.parse(e.expires_at) > now);
  await close();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  for (const e of entries) {
    const expired = e.expires_at && Date.parse(e.expires_at) <= now ? ' (expired)' : '';
    process.stdout.write(
      `${e.kind.padEnd(5)} ${e.entity.padEnd(8)} ${e.value.padEnd(24)} ${e.expires_at ? `until ${e.expires_at}${expired}` : 'no expiry'}${e.reason ? `  ${e.reason}` : ''}\n`,
    );
  }
  process.stderr.write(`${entries.length} entries (${where})\n`);
  return 0;
}

async function importCsv(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { kind: { type: 'string' }, entity: { type: 'string' } },
    true,
  );
  const { FraudError } = await import('../../core/errors/index.ts');
  if (positionals.length !== 1) throw new FraudError('FRAUD_USAGE', 'lists import needs one FILE.csv');
  const file = positionals[0]!;
  const filter = await kindEntity(values.kind, values.entity);
  const { readFile } = await import('node:fs/promises');
  const { parseListCsv } = await import('../../core/lists/index.ts');
  const now = Date.now();
  const r = parseListCsv(await readFile(file, 'utf8'), {
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(filter.entity ? { entity: filter.entity } : {}),
    addedAt: new Date(now).toISOString(),
    addedBy: process.env['USER'] ?? 'cli',
    now,
  });
  for (const bad of r.rejected) {
    process.stderr.write(
      `${file}:${bad.line}: ${bad.issues.map((i) => `${i.field} ${i.message}`).join('; ')}\n`,
    );
  }
  const { lists, where, close } = await open();
  try {
    await lists.add(r.entries);
  } finally {
    await close();
  }
  process.stdout.write(
    `imported ${r.entries.length} entries, rejected ${r.rejected.length} lines (${where})\n`,
  );
  return r.rejected.length > 0 ? 1 : 0;
}

async function purge(argv: string[]): Promise<number> {
  parseFlags(argv, {});
  const { lists, where, close } = await open();
  let n: number;
  try {
    n = await lists.purgeExpired();
  } finally {
    await close();
  }
  process.stdout.write(`purged ${n} expired entries (${where})\n`);
  return 0;
}

const command: Command = {
  name: 'lists',
  summary: 'Manage allow/deny lists (card, customer, device, ip, merchant, country)',
  usage,
  run: subcommands('lists', usage, { add, remove, show, import: importCsv, purge }),
};
export default command;
