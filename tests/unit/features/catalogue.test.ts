import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_PATH, renderCatalogue } from '../../../scripts/gen-feature-catalogue.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../../../src/core/features/index.ts';

describe('docs/feature-catalogue.md', () => {
  it('is generated from the definitions and up to date (regenerate: node scripts/gen-feature-catalogue.ts)', () => {
    const text = renderCatalogue();
    expect(readFileSync(CATALOGUE_PATH, 'utf8')).toBe(text);
    expect(text).toContain('DO NOT EDIT');
    expect(text).toContain(FEATURE_SET_VERSION);
    for (const name of FEATURE_NAMES) expect(text).toContain(`\`${name}\``);
  });
});
