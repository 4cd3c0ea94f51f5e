#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Idle sessions expire after sessions.idle_timeout (2 s here): a later stage
gets session-expired, and the agent never silently starts a new session."""

import sys

import harness as H
from harness import expect

IDLE = 2
POLICY = H.STANDARD_POLICY.replace('idle_timeout: 10m', 'idle_timeout: %ds' % IDLE)
assert 'idle_timeout: 2s' in POLICY

GOOD = {'colour': 'red', 'count': '3', 'name': 'A', 'code': 'xyz'}


def test_idle_session_expires(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    # Three times the timeout: expiry may be checked by a coarse timer.
    env.sleep(3 * IDLE)
    r = alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD)
    r.expect_error('cancel', 'not-allowed', 'session-expired', 'submit after %ds idle' % (3 * IDLE))
    expect(r.status != 'completed', 'an expired session completed', r)


def test_expired_multistage_session(env):
    bob = env.client('bob')
    sid = bob.execute(env.agent_jid, 'test/confirm').expect_status('executing').sessionid
    bob.command(env.agent_jid, 'test/confirm', sid, 'next', {'unit': 'nginx.service'}) \
        .expect_status('executing', 'stage 2')
    env.sleep(3 * IDLE)
    bob.command(env.agent_jid, 'test/confirm', sid, 'prev') \
        .expect_error('cancel', 'not-allowed', 'session-expired', 'prev after expiry')
    bob.command(env.agent_jid, 'test/confirm', sid, 'complete', {'confirm': 'true'}) \
        .expect_error('cancel', 'not-allowed', 'session-expired', 'complete after expiry')


def test_expired_cancel(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/echo').expect_status('executing').sessionid
    env.sleep(3 * IDLE)
    r = alice.command(env.agent_jid, 'test/echo', sid, 'cancel')
    # XEP-0050: cancel is always answered with status=canceled; an expired session may
    # instead report session-expired. Either way it must not be left unanswered.
    expect(r.status == 'canceled' or (r.error or (None, None, None))[2] == 'session-expired',
           'cancel of an expired session: expected canceled or session-expired', r)


def test_fresh_session_after_expiry(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD).expect_status('completed', 'prompt submit')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_idle_session_expires,
        test_expired_multistage_session,
        test_expired_cancel,
        test_fresh_session_after_expiry,
    ], policy=POLICY))
