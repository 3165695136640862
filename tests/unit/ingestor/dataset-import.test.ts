import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkTransaction } from '../../../src/core/contracts/index.ts';
import {
  type ImportSpec,
  labelConverter,
  parseAssignments,
  streamImport,
  transactionConverter,
} from '../../../src/services/ingestor/dataset-import.ts';
import { parseTimestamp, zoneResolver } from '../../../src/services/ingestor/timestamps.ts';

const UTC = zoneResolver('UTC');
const iso = (v: string, zone = UTC, order: 'dmy' | 'mdy' = 'dmy') => {
  const r = parseTimestamp(v, zone, order);
  return typeof r === 'number' ? new Date(r).toISOString() : r;
};

describe('timestamp parsing', () => {
  it.each([
    ['2025-01-29T12:00:00Z', '2025-01-29T12:00:00.000Z'],
    ['2025-01-29T12:00:00.5+01:00', '2025-01-29T11:00:00.500Z'],
    ['2025-01-29T12:00:00-0300', '2025-01-29T15:00:00.000Z'],
    ['2025-01-29 12:00:00', '2025-01-29T12:00:00.000Z'],
    ['2025-01-29', '2025-01-29T00:00:00.000Z'],
    ['2025/01/29 12:00', '2025-01-29T12:00:00.000Z'],
    ['29/01/2025 12:00', '2025-01-29T12:00:00.000Z'],
    ['29.01.2025 12:00:30', '2025-01-29T12:00:30.000Z'],
    ['1738152000', '2025-01-29T12:00:00.000Z'],
    ['1738152000.25', '2025-01-29T12:00:00.250Z'],
    ['1738152000000', '2025-01-29T12:00:00.000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('applies the time zone, with daylight saving, only to zone-less stamps', () => {
    const lisbon = zoneResolver('Europe/Lisbon');
    expect(iso('2025-01-15 12:00:00', lisbon)).toBe('2025-01-15T12:00:00.000Z'); // WET = UTC
    expect(iso('2025-07-15 12:00:00', lisbon)).toBe('2025-07-15T11:00:00.000Z'); // WEST = UTC+1
    expect(iso('15/07/2025 12:00', zoneResolver('America/Sao_Paulo'))).toBe('2025-07-15T15:00:00.000Z');
    expect(iso('2025-07-15T12:00:00Z', lisbon)).toBe('2025-07-15T12:00:00.000Z');
  });

  it('reads month-first dates when asked', () => {
    expect(iso('03/04/2025 10:00', UTC, 'mdy')).toBe('2025-03-04T10:00:00.000Z');
    expect(iso('03/04/2025 10:00', UTC, 'dmy')).toBe('2025-04-03T10:00:00.000Z');
  });

  it.each(['yesterday', '2025-02-30', '2025-01-29 25:00', '12345', '31/13/2025', '3000-01-01'])(
    'rejects %s with a reason',
    (v) => {
      expect(typeof parseTimestamp(v, UTC)).toBe('string');
    },
  );

  it('refuses an unknown time zone', () => {
    expect(() => zoneResolver('Mars/Olympus')).toThrow(RangeError);
  });
});

const HEADER = [
  'Ref',
  'When',
  'Value',
  'Ccy',
  'Pan',
  'Shop',
  'Kind',
  'Client',
  'Ctry',
  'InStore',
  'Fingerprint',
  'Addr',
];
const FULL: ImportSpec = {
  map: parseAssignments(
    'transaction_id=Ref,timestamp=When,amount=Value,currency=Ccy,card_id=Pan,merchant_id=Shop,merchant_category=Kind,customer_id=Client,merchant_country=Ctry,card_present=InStore,device_id=Fingerprint,ip_address=Addr',
    'map',
  ),
  set: {},
};

describe('transaction converter', () => {
  const convert = transactionConverter(HEADER, FULL);

  it('converts a row with foreign column names into a contract-valid transaction, fields in contract order', () => {
    const r = convert([
      'T1',
      '2025-01-29 12:00:00',
      '1250.50',
      'brl',
      'c1',
      'm1',
      'retail',
      'u1',
      'br',
      'no',
      'd1',
      '200.160.0.1',
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(checkTransaction(r.value).ok).toBe(true);
    expect(JSON.stringify(r.value)).toBe(
      '{"transaction_id":"T1","timestamp":"2025-01-29T12:00:00.000Z","amount":1250.5,"currency":"BRL","card_id":"c1","merchant_id":"m1","merchant_category":"retail","customer_id":"u1","merchant_country":"BR","card_present":false,"device_id":"d1","ip_address":"200.160.0.1","status":"pending"}',
    );
  });

  it('names every bad field of a row', () => {
    const r = convert([
      'T1',
      'soon',
      '-3',
      'XXX',
      'c1',
      'm1',
      'retail',
      'u1',
      'BR',
      'maybe',
      'd1',
      '999.1.1.1',
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const f of ['timestamp', 'amount', 'currency', 'card_present', 'ip_address'])
      expect(r.reason).toContain(f);
  });

  it('fills missing fields from --set, derives the safe ones, and fails fast on the rest', () => {
    const header = ['id', 'ts', 'amt', 'card', 'shop', 'country'];
    const spec: ImportSpec = {
      map: parseAssignments(
        'transaction_id=id,timestamp=ts,amount=amt,card_id=card,merchant_id=shop,merchant_country=country',
        'map',
      ),
      set: parseAssignments('card_present=false,ip_address=0.0.0.0', 'set'),
    };
    const r = transactionConverter(header, spec)(['a', '1738152000', '12,345.5', 'c9', 's1', 'PT']);
    expect(r.ok && r.value).toMatchObject({
      amount: 12345.5,
      currency: 'EUR',
      customer_id: 'c9',
      device_id: 'dev_unknown_c9',
      merchant_category: 'unknown',
      status: 'pending',
      card_present: false,
    });
    const unknownCountry = transactionConverter(header, spec)(['a', '1738152000', '1', 'c9', 's1', 'CH']);
    expect(!unknownCountry.ok && unknownCountry.reason).toMatch(/currency .*--set currency/);
    expect(() => transactionConverter(header, { ...spec, set: {} })).toThrow(/card_present, ip_address/);
    expect(() =>
      transactionConverter(header, { ...spec, set: { ...spec.set, card_present: 'perhaps' } }),
    ).toThrow(/--set card_present/);
    expect(() => transactionConverter(header, { ...spec, map: { ...spec.map, amount: 'Amount' } })).toThrow(
      /amount=Amount/,
    );
    expect(() => transactionConverter(header, { ...spec, map: { ...spec.map, cardnumber: 'card' } })).toThrow(
      /unknown field/,
    );
  });

  it('reads comma decimals', () => {
    const c = transactionConverter(HEADER, { ...FULL, decimal: ',' });
    const r = c([
      'T1',
      '2025-01-29',
      'R$ 1.250,50',
      'BRL',
      'c1',
      'm1',
      'retail',
      'u1',
      'BR',
      '1',
      'd1',
      '200.160.0.1',
    ]);
    expect(r.ok && r.value['amount']).toBe(1250.5);
  });
});

describe('label converter', () => {
  it('normalises labels and derives labeled_at from the transaction time plus a delay', () => {
    const c = labelConverter(['tx', 'fraud', 'when'], {
      map: { transaction_id: 'tx', is_fraud: 'fraud', timestamp: 'when' },
      set: {},
      labelDelayDays: 30,
    });
    expect(c(['T1', 'yes', '2025-01-01T00:00:00Z'])).toEqual({
      ok: true,
      value: { transaction_id: 'T1', is_fraud: true, labeled_at: '2025-01-31T00:00:00.000Z' },
    });
    expect(c(['T2', 'perhaps', '2025-01-01T00:00:00Z']).ok).toBe(false);
    expect(() =>
      labelConverter(['tx', 'fraud'], { map: { transaction_id: 'tx', is_fraud: 'fraud' }, set: {} }),
    ).toThrow(/label-delay-days/);
  });
});

describe('streaming import', () => {
  it('keeps every good row, rejects bad ones with line and reason, and never aborts', async () => {
    const csv = [
      HEADER.join(','),
      'T1,2025-01-29 12:00:00,10.00,EUR,c1,m1,grocery,u1,PT,0,d1,85.240.0.1',
      'T2,not a date,10.00,EUR,c1,m1,grocery,u1,PT,0,d1,85.240.0.1',
      '',
      'T3,2025-01-29 11:00:00,"1,000.00",EUR,c1,m1,grocery,u1,PT,0,d1,85.240.0.1',
      'T1,2025-01-29 13:00:00,10.00,EUR,c1,m1,grocery,u1,PT,0,d1,85.240.0.1',
      'T4,2025-01-29 14:00:00,10.00,EUR,c1,m1',
      'T5,2025-01-29 14:00:00,5,EUR,c1,m1,grocery,u1,PT,0,d1,85.240.0.1',
    ].join('\n');
    const out = new PassThrough();
    const rejects = new PassThrough();
    const outChunks: string[] = [];
    const rejectChunks: string[] = [];
    out.on('data', (c) => outChunks.push(String(c)));
    rejects.on('data', (c) => rejectChunks.push(String(c)));
    const summary = await streamImport({
      input: Readable.from([csv]),
      out,
      rejects,
      spec: FULL,
      compile: transactionConverter,
      format: (tx) => JSON.stringify(tx),
      idOf: (tx) => String(tx['transaction_id']),
      timeOf: (tx) => String(tx['timestamp']),
    });
    expect(summary).toMatchObject({ rows: 6, converted: 3, rejected: 3, duplicates: 1, outOfOrder: 1 });
    const lines = outChunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).transaction_id);
    expect(lines).toEqual(['T1', 'T3', 'T5']);
    const rejected = rejectChunks.join('').trim().split('\n');
    expect(rejected[0]).toBe('line,reason,row');
    expect(rejected[1]).toMatch(
      /^3,"timestamp 'not a date' is not a recognised timestamp.*","T2,not a date,/,
    );
    expect(rejected[2]).toMatch(/^6,transaction_id T1 is a duplicate/);
    expect(rejected[3]).toMatch(/^7,"expected 12 columns, found 6","T4,/);
  });
});

describe('round trip', () => {
  it('re-imports a simulated history exported as CSV to the identical transactions', async () => {
    const { createSimulator, transactionJson } = await import('../../../src/services/ingestor/index.ts');
    const sim = createSimulator({ seed: 9, fraudRate: 0.05 });
    const txs = Array.from({ length: 3000 }, () => sim.next().transaction);
    const fields = Object.keys(txs[0]!);
    const csv = [
      fields.join(','),
      ...txs.map((t) => fields.map((f) => String(t[f as keyof typeof t])).join(',')),
    ].join('\r\n');
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c) => chunks.push(String(c)));
    const summary = await streamImport({
      input: Readable.from([csv]),
      out,
      rejects: new PassThrough().resume(),
      spec: { map: Object.fromEntries(fields.map((f) => [f, f])), set: {} },
      compile: transactionConverter,
      format: (tx) => JSON.stringify(tx),
      idOf: (tx) => String(tx['transaction_id']),
      timeOf: (tx) => String(tx['timestamp']),
    });
    expect(summary).toMatchObject({ rows: 3000, converted: 3000, rejected: 0, outOfOrder: 0 });
    expect(chunks.join('').trimEnd().split('\n')).toEqual(txs.map(transactionJson));
  });
});
