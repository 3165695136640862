// Regenerates the table in docs/errors.md from the error catalogue (src/core/errors/catalogue.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { ERROR_CATALOGUE } from '../src/core/errors/index.ts';

const path = new URL('../docs/errors.md', import.meta.url);
const start = '<!-- BEGIN GENERATED: error catalogue (scripts/gen-errors-doc.ts; do not edit) -->';
const end = '<!-- END GENERATED -->';
const rows = Object.entries(ERROR_CATALOGUE).map(
  ([code, e]) =>
    `| \`${code}\` | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${e.deadLetter ? 'yes' : 'no'} | ${e.summary} |`,
);
const table = [
  start,
  '| code | HTTP | retryable | dead-letter | meaning |',
  '|---|---|---|---|---|',
  ...rows,
  end,
].join('\n');
const doc = readFileSync(path, 'utf8');
const i = doc.indexOf(start);
const j = doc.indexOf(end);
writeFileSync(
  path,
  i >= 0 && j > i ? doc.slice(0, i) + table + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${table}\n`,
);
