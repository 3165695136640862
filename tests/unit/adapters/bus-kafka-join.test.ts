import { MultipleErrors, NetworkError, ResponseError, UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  describeClientError,
  isTransient,
  type JoinRetry,
  retryWhileTransient,
} from '../../../src/adapters/bus-kafka/join.ts';

/*
 * The errors below are built with the client's own classes, in the shapes it throws: a JoinGroup
 * answered with an error code, and the aggregate its retry loop wraps them in.
 */
const JOIN_GROUP = 11;
const joinGroupAnswered = (code: number) => new ResponseError(JOIN_GROUP, 9, { '/': [code, null] }, {});
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
const INVALID_SESSION_TIMEOUT = 26;
const GROUP_AUTHORIZATION_FAILED = 30;

/** What the client throws after its own four attempts at a join the coordinator keeps refusing. */
const clientGaveUp = (code: number) =>
  new MultipleErrors(
    'joinGroup failed 4 times.',
    [1, 2, 3, 4].map(() => joinGroupAnswered(code)),
  );

describe('which join failures are worth another attempt', () => {
  it('retries a coordinator that is unavailable or has moved, even after the client gave up on it', () => {
    expect(isTransient(joinGroupAnswered(COORDINATOR_NOT_AVAILABLE))).toBe(true);
    expect(isTransient(clientGaveUp(COORDINATOR_NOT_AVAILABLE))).toBe(true);
    expect(isTransient(clientGaveUp(NOT_COORDINATOR))).toBe(true);
  });

  it('retries an unreachable broker', () => {
    expect(isTransient(new MultipleErrors('connect failed', [new NetworkError('ECONNREFUSED')]))).toBe(true);
  });

  it('does not retry what another attempt cannot change: a refused configuration or permission', () => {
    expect(isTransient(joinGroupAnswered(INVALID_SESSION_TIMEOUT))).toBe(false);
    expect(isTransient(joinGroupAnswered(GROUP_AUTHORIZATION_FAILED))).toBe(false);
  });

  it('does not retry an error that says nothing (bad option, closed client), nor a chain with one permanent error', () => {
    expect(isTransient(new UserError('Client is closed.'))).toBe(false);
    expect(isTransient(new Error('boom'))).toBe(false);
    expect(
      isTransient(
        new MultipleErrors('mixed', [
          joinGroupAnswered(COORDINATOR_NOT_AVAILABLE),
          joinGroupAnswered(GROUP_AUTHORIZATION_FAILED),
        ]),
      ),
    ).toBe(false);
  });

  it('names the broker error codes inside the aggregates, not only the outer message', () => {
    expect(describeClientError(clientGaveUp(COORDINATOR_NOT_AVAILABLE))).toBe(
      'joinGroup failed 4 times: COORDINATOR_NOT_AVAILABLE (×4)',
    );
    // Retries nested in retries: each distinct innermost failure once, with its count.
    const nested = new MultipleErrors(
      'joinGroup failed 2 times.',
      [1, 2].map(
        () =>
          new MultipleErrors(
            'findGroupCoordinator failed 2 times.',
            [1, 2].map(() => new NetworkError('connect ECONNREFUSED 127.0.0.1:1')),
          ),
      ),
    );
    expect(describeClientError(nested)).toBe(
      'joinGroup failed 2 times: connect ECONNREFUSED 127.0.0.1:1 (×4)',
    );
    // The broker's own words, when it sent them with the code.
    const CREATE_TOPICS = 19;
    const refused = new ResponseError(
      CREATE_TOPICS,
      7,
      { '/topics/0': [38, 'Replication factor: 2 larger than available brokers: 1.'] },
      {},
    );
    expect(describeClientError(new MultipleErrors('Creating topics failed.', [refused]))).toBe(
      'Creating topics failed: INVALID_REPLICATION_FACTOR (Replication factor: 2 larger than available brokers: 1.)',
    );
    expect(describeClientError(joinGroupAnswered(GROUP_AUTHORIZATION_FAILED))).toBe(
      'Received response with error while executing API JoinGroup(v9): GROUP_AUTHORIZATION_FAILED',
    );
  });
});

/** A clock that only moves when the retry loop sleeps. */
function fakeTime() {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('joining until the deadline', () => {
  it('retries transient failures with a growing pause and returns the first success', async () => {
    const time = fakeTime();
    const retries: JoinRetry[] = [];
    let calls = 0;
    const joined = await retryWhileTransient(
      async () => {
        calls++;
        if (calls <= 4) throw clientGaveUp(COORDINATOR_NOT_AVAILABLE);
        return 'member';
      },
      { timeoutMs: 60_000, now: time.now, sleep: time.sleep, onRetry: (r) => retries.push(r) },
    );
    expect(joined).toBe('member');
    expect(calls).toBe(5);
    expect(time.slept).toEqual([500, 1000, 2000, 4000]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(retries.map((r) => r.waitMs)).toEqual(time.slept);
  });

  it('caps the pause at 5 s', async () => {
    const time = fakeTime();
    let calls = 0;
    await retryWhileTransient(
      async () => {
        if (++calls <= 6) throw clientGaveUp(NOT_COORDINATOR);
      },
      { timeoutMs: 600_000, now: time.now, sleep: time.sleep },
    );
    expect(time.slept).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('throws a permanent failure at once, as it came', async () => {
    const time = fakeTime();
    const refused = joinGroupAnswered(GROUP_AUTHORIZATION_FAILED);
    let calls = 0;
    await expect(
      retryWhileTransient(
        async () => {
          calls++;
          throw refused;
        },
        { timeoutMs: 60_000, now: time.now, sleep: time.sleep },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
    expect(time.slept).toEqual([]);
  });

  it('gives up with the last error when the next pause would end past the deadline', async () => {
    const time = fakeTime();
    const errors: unknown[] = [];
    const attempt = async () => {
      // Each of the client's own attempts takes time too: 3 s here.
      time.advance(3000);
      const e = clientGaveUp(COORDINATOR_NOT_AVAILABLE);
      errors.push(e);
      throw e;
    };
    // 3 s, pause 0.5 s, 3 s, pause 1 s, 3 s (10.5 s) + 2 s > 12 s: the third failure is final.
    const thrown = await retryWhileTransient(attempt, {
      timeoutMs: 12_000,
      now: time.now,
      sleep: time.sleep,
    }).catch((e: unknown) => e);
    expect(errors).toHaveLength(3);
    expect(thrown).toBe(errors[2]);
    expect(time.slept).toEqual([500, 1000]);
  });
});
