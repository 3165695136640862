import type { ISO_3166_ALPHA2, ISO_4217 } from '../../core/contracts/iso.ts';

export type Iso3166Alpha2 = (typeof ISO_3166_ALPHA2)[number];
export type Iso4217 = (typeof ISO_4217)[number];
