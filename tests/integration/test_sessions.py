#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Session handling (XEP-0050): ids bound to the requester's full JID, unknown
and finished sessions, actions not offered, unknown actions, and the limits on
open sessions."""

import sys

import harness as H
from harness import expect

POLICY = H.STANDARD_POLICY.replace('max_per_requester: 20', 'max_per_requester: 3') \
                          .replace('max_total: 200', 'max_total: 5')
assert 'max_per_requester: 3' in POLICY and 'max_total: 5' in POLICY

GOOD = {'colour': 'red', 'count': '3', 'name': 'A', 'code': 'xyz'}


def test_session_ids_unique_and_unguessable(env):
    alice = env.client('alice')
    ids = []
    for _ in range(8):
        r = alice.execute(env.agent_jid, 'test/hello').expect_status('completed')
        ids.append(r.sessionid)
    expect(len(set(ids)) == len(ids), 'session ids repeat: %r' % ids)
    # 128 random bits need at least 22 characters in base64, 32 in hex.
    short = [i for i in ids if not i or len(i) < 22]
    expect(not short, 'session ids too short to be unguessable: %r' % short)


def test_other_full_jid_refused(env):
    alice = env.client('alice')
    alice2 = env.client('alice', resource='other')
    bob = env.client('bob')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    for who, c in (('alice/other', alice2), ('bob', bob)):
        r = c.command(env.agent_jid, 'test/form', sid, 'complete', GOOD)
        r.expect_error('modify', 'bad-request', 'bad-sessionid', 'sessionid presented by %s' % who)
    # Another JID cannot end the owner's session either.
    r = bob.command(env.agent_jid, 'test/form', sid, 'cancel')
    expect(r.type == 'error', 'bob canceled alice\'s session', r)
    alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD) \
        .expect_status('completed', 'the owner completes after the refused attempts')


def test_unknown_session(env):
    alice = env.client('alice')
    for sid in ('0' * 32, 'no-such-session'):
        r = alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD)
        r.expect_error('cancel', 'not-allowed', 'session-expired', 'unknown sessionid %s' % sid)


def test_finished_sessions_are_gone(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD).expect_status('completed')
    alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD) \
        .expect_error('cancel', 'not-allowed', 'session-expired', 'reuse of a completed session')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    alice.command(env.agent_jid, 'test/form', sid, 'cancel').expect_status('canceled')
    alice.command(env.agent_jid, 'test/form', sid, 'complete', GOOD) \
        .expect_error('cancel', 'not-allowed', 'session-expired', 'reuse of a canceled session')
    # A sessionid of one node is not valid for another.
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    r = alice.command(env.agent_jid, 'test/echo', sid, 'complete', {'colour': 'red'})
    expect(r.type == 'error', 'a session of test/form was accepted for test/echo', r)
    alice.command(env.agent_jid, 'test/form', sid, 'cancel').expect_status('canceled')


def test_action_not_offered(env):
    alice, bob = env.client('alice'), env.client('bob')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    alice.command(env.agent_jid, 'test/form', sid, 'prev') \
        .expect_error('modify', 'bad-request', 'bad-action', 'prev on the first stage')
    alice.command(env.agent_jid, 'test/form', sid, 'next', GOOD) \
        .expect_error('modify', 'bad-request', 'bad-action', 'next where only complete is offered')
    alice.command(env.agent_jid, 'test/form', sid, 'cancel').expect_status('canceled')
    sid = bob.execute(env.agent_jid, 'test/confirm').expect_status('executing').sessionid
    bob.command(env.agent_jid, 'test/confirm', sid, 'complete', {'unit': 'nginx.service'}) \
        .expect_error('modify', 'bad-request', 'bad-action', 'complete where only next is offered')
    bob.command(env.agent_jid, 'test/confirm', sid, 'cancel').expect_status('canceled')


def test_malformed_action(env):
    alice = env.client('alice')
    alice.execute(env.agent_jid, 'test/form', action='frobnicate') \
        .expect_error('modify', 'bad-request', 'malformed-action', 'execute with action=frobnicate')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    alice.command(env.agent_jid, 'test/form', sid, 'Complete', GOOD) \
        .expect_error('modify', 'bad-request', 'malformed-action', 'action=Complete (actions are case-sensitive)')
    alice.command(env.agent_jid, 'test/form', sid, 'cancel').expect_status('canceled')


def expect_limit(r, what):
    got = r.error
    expect(r.type == 'error' and got is not None and
           (got[0], got[1]) in (('wait', 'resource-constraint'), ('cancel', 'not-allowed')),
           '%s: expected wait/resource-constraint (or cancel/not-allowed), got %r' % (what, got), r)


def test_limits(env):
    alice, bob = env.client('alice'), env.client('bob')
    jid = env.agent_jid
    a = [alice.execute(jid, 'test/form').expect_status('executing', 'alice session %d' % i).sessionid
         for i in range(3)]
    expect_limit(alice.execute(jid, 'test/form'), 'a 4th open session of one requester (max_per_requester 3)')
    alice.command(jid, 'test/form', a.pop(), 'cancel').expect_status('canceled')
    a.append(alice.execute(jid, 'test/form').expect_status('executing', 'after freeing a slot').sessionid)

    b = [bob.execute(jid, 'test/confirm').expect_status('executing', 'bob session %d' % i).sessionid
         for i in range(2)]
    expect_limit(bob.execute(jid, 'test/confirm'), 'a 6th open session in all (max_total 5)')
    for sid in a:
        alice.command(jid, 'test/form', sid, 'cancel').expect_status('canceled')
    for sid in b:
        bob.command(jid, 'test/confirm', sid, 'cancel').expect_status('canceled')
    bob.execute(jid, 'test/confirm').expect_status('executing', 'after all sessions were closed')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_session_ids_unique_and_unguessable,
        test_other_full_jid_refused,
        test_unknown_session,
        test_finished_sessions_are_gone,
        test_action_not_offered,
        test_malformed_action,
        test_limits,
    ], policy=POLICY))
