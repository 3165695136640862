/**
 * Generates docs/feature-catalogue.md from the feature definitions (src/core/features).
 *   node scripts/gen-feature-catalogue.ts           write the file
 *   node scripts/gen-feature-catalogue.ts --check   exit 1 if the file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FEATURE_DEFINITIONS, FEATURE_SET_VERSION } from '../src/core/features/index.ts';

export const CATALOGUE_PATH = fileURLToPath(new URL('../docs/feature-catalogue.md', import.meta.url));

const ENTITY_TITLES: Record<string, string> = {
  card_id: 'Card',
  customer_id: 'Customer',
  device_id: 'Device',
  ip_address: 'IP address',
  merchant_id: 'Merchant',
  merchant_category: 'Merchant category',
  transaction: 'The transaction itself',
};

export function renderCatalogue(): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    '<!-- GENERATED FILE — DO NOT EDIT. Source: src/core/features/definitions.ts; regenerate with `node scripts/gen-feature-catalogue.ts`. -->',
    '',
    '# Feature catalogue',
    '',
    `Feature set version: \`${FEATURE_SET_VERSION}\` — ${FEATURE_DEFINITIONS.length} features, listed in vector order`,
    '(the column order of `bin/fraud features backfill` after its five id columns, and the input order of models).',
    'Windows are exact per-event sliding windows `(t − w, t]` in event time over the state *before* the transaction;',
    'an empty value (`null` in JSON, NaN in a vector) means missing. Semantics: [features.md](features.md).',
    '',
    '| # | Name | Entity | Window | Aggregation | Version | Meaning |',
    '|---|------|--------|--------|-------------|---------|---------|',
  ];
  FEATURE_DEFINITIONS.forEach((d, i) => {
    lines.push(
      `| ${i} | \`${d.name}\` | ${ENTITY_TITLES[d.entity] ?? d.entity} (\`${d.entity}\`) | ${d.window?.label ?? '—'} | ${d.aggregation} | ${d.version} | ${cell(d.description)} |`,
    );
  });
  lines.push('');
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderCatalogue();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CATALOGUE_PATH, 'utf8');
    } catch {}
    if (current !== text) {
      process.stderr.write(
        'docs/feature-catalogue.md is out of date: run node scripts/gen-feature-catalogue.ts\n',
      );
      process.exit(1);
    }
    process.stdout.write('docs/feature-catalogue.md is up to date\n');
  } else {
    writeFileSync(CATALOGUE_PATH, text);
    process.stdout.write(
      `wrote ${CATALOGUE_PATH} (${FEATURE_DEFINITIONS.length} features, ${FEATURE_SET_VERSION})\n`,
    );
  }
}
