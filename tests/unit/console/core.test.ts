import { describe, expect, it } from 'vitest';
import {
  can,
  checkPassword,
  checkUsername,
  PERMISSIONS,
  satisfiesRole,
  TOKEN_ROLES,
} from '../../../src/core/auth/index.ts';
import {
  canTransition,
  casePriority,
  caseQueue,
  labelForOutcome,
  maskAlert,
  maskCardId,
  maskIp,
  slaDueAt,
  slaState,
} from '../../../src/core/cases/index.ts';

describe('RBAC table', () => {
  it('viewers read but never write or see PII', () => {
    expect(can('viewer', 'console:read')).toBe(true);
    for (const p of [
      'pii:read',
      'cases:write',
      'lists:write',
      'audit:read',
      'users:write',
      'decisions:write',
    ] as const) {
      expect(can('viewer', p)).toBe(false);
    }
  });
  it('analysts decide cases and see PII; only admins read the audit log and manage users', () => {
    expect(can('analyst', 'cases:write')).toBe(true);
    expect(can('analyst', 'pii:read')).toBe(true);
    expect(can('analyst', 'audit:read')).toBe(false);
    expect(can('admin', 'audit:read')).toBe(true);
    expect(can('admin', 'users:write')).toBe(true);
  });
  it('service tokens may only submit decisions', () => {
    const held = (Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]).filter((p) => can('service', p));
    expect(held).toEqual(['decisions:write']);
  });
  it('requireRole is a hierarchy for people, and service is its own lane', () => {
    expect(satisfiesRole('admin', 'analyst')).toBe(true);
    expect(satisfiesRole('analyst', 'admin')).toBe(false);
    expect(satisfiesRole('viewer', 'viewer')).toBe(true);
    expect(satisfiesRole('service', 'viewer')).toBe(false);
    expect(satisfiesRole('service', 'service')).toBe(true);
    expect(satisfiesRole('admin', 'service')).toBe(true);
    expect(satisfiesRole('analyst', 'service')).toBe(false);
    expect(TOKEN_ROLES).toContain('service');
  });
  it('validates usernames and passwords', () => {
    expect(checkUsername('analyst')).toBeNull();
    expect(checkUsername('Bad Name')).toMatch(/lower-case/);
    expect(checkPassword('analyst-demo')).toBeNull();
    expect(checkPassword('short')).toMatch(/8 to 256/);
  });
});

describe('cases', () => {
  it('prioritises blocks with a high score first and routes queues', () => {
    expect(casePriority({ decision: 'block', score: 0.95, amount: 10 })).toBe(1);
    expect(casePriority({ decision: 'block', score: 0.7, amount: 10 })).toBe(2);
    expect(casePriority({ decision: 'review', score: 0.6, amount: 10 })).toBe(3);
    expect(casePriority({ decision: 'review', score: 0.3, amount: 10 })).toBe(4);
    expect(casePriority({ decision: 'review', score: 0.3, amount: 9000 })).toBe(2);
    expect(caseQueue({ decision: 'block', score: 0.3, amount: 9000 })).toBe('blocked');
    expect(caseQueue({ decision: 'review', score: 0.3, amount: 9000 })).toBe('high-value');
    expect(caseQueue({ decision: 'review', score: 0.3, amount: 90 })).toBe('review');
  });
  it('computes SLA age and breach, and stops the clock at close', () => {
    const opened = new Date('2025-01-29T12:00:00Z');
    const due = slaDueAt(opened, 1);
    expect(due.toISOString()).toBe('2025-01-29T13:00:00.000Z');
    expect(
      slaState({ opened_at: opened, sla_due_at: due, closed_at: null }, new Date('2025-01-29T12:30:00Z')),
    ).toEqual({
      age_seconds: 1800,
      breached: false,
    });
    expect(
      slaState({ opened_at: opened, sla_due_at: due, closed_at: null }, new Date('2025-01-29T14:00:00Z'))
        .breached,
    ).toBe(true);
    expect(
      slaState(
        { opened_at: opened, sla_due_at: due, closed_at: new Date('2025-01-29T12:10:00Z') },
        new Date('2025-01-30T00:00:00Z'),
      ),
    ).toEqual({ age_seconds: 600, breached: false });
  });
  it('a closed case is final', () => {
    expect(canTransition('open', 'investigating')).toBe(true);
    expect(canTransition('investigating', 'closed')).toBe(true);
    expect(canTransition('closed', 'open')).toBe(false);
  });
  it('maps verdicts to labels and writes none for inconclusive', () => {
    expect(labelForOutcome('confirmed_fraud')).toBe(true);
    expect(labelForOutcome('legitimate')).toBe(false);
    expect(labelForOutcome('inconclusive')).toBeNull();
  });
});

describe('PII masking', () => {
  it('masks card, IP, device and customer but keeps merchant and amount', () => {
    expect(maskCardId('card_1234567890')).toBe('card_••••7890');
    expect(maskCardId('card_12')).toBe('card_••••');
    expect(maskIp('200.160.0.1')).toBe('200.160.x.x');
    expect(maskIp('2001:db8::1')).toBe('2001:db8:…');
    const a = maskAlert({
      card_id: 'card_1234',
      customer_id: 'cust_555',
      merchant_id: 'm_987',
      amount: 10,
      transaction: {
        card_id: 'card_1234',
        device_id: 'dev_111',
        ip_address: '200.160.0.1',
        merchant_id: 'm_987',
      },
    });
    expect(JSON.stringify(a)).not.toMatch(/card_1234|cust_555|dev_111|200\.160\.0\.1/);
    expect(a.merchant_id).toBe('m_987');
    expect(a.transaction.merchant_id).toBe('m_987');
  });
});
