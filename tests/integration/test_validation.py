#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Submitted form values are never trusted: each bad value is refused with
bad-payload, an error note naming the field and the form again, and the
session stays open so that a corrected submission completes."""

import sys

import harness as H
from harness import expect

GOOD = {'colour': 'green', 'count': '7', 'loud': 'true', 'secret': 'pssst',
        'token': 't0k3n', 'buddy': 'bob@example.test', 'name': 'Alice', 'code': 'abc'}

# (what, changes to GOOD, the label the error note must name)
BAD = [
    ('count is not an integer', {'count': 'abc'}, 'Count'),
    ('count is a decimal', {'count': '7.5'}, 'Count'),
    ('count above the range', {'count': '501'}, 'Count'),
    ('count below the range', {'count': '0'}, 'Count'),
    ('colour not among the options', {'colour': 'purple'}, 'Colour'),
    ('colour (required) missing', {'colour': None}, 'Colour'),
    ('name (required) missing', {'name': None}, 'Name'),
    ('name (required) empty', {'name': ''}, 'Name'),
    ('loud is not a boolean', {'loud': 'maybe'}, 'Loud'),
    ('buddy has an empty domain', {'buddy': 'user@'}, 'Buddy'),
    ('buddy has an empty local part', {'buddy': '@example.test'}, 'Buddy'),
    ('code does not match its regex', {'code': '12'}, 'Code'),
    ('two values for a list-single field', {'colour': ['red', 'green']}, 'Colour'),
]


def submit(env, sid, values, action='complete'):
    return env.client('alice').command(env.agent_jid, 'test/form', sid, action, values)


def expect_refused(r, what, label, sid):
    r.expect_error('modify', 'bad-request', 'bad-payload', what)
    expect(r.command is not None, '%s: the error must carry the <command/> with the form again' % what, r)
    expect(r.status == 'executing', '%s: status %r, expected executing' % (what, r.status), r)
    expect(r.sessionid == sid, '%s: sessionid %r, expected %r' % (what, r.sessionid, sid), r)
    errs = [t for ty, t in r.notes if ty == 'error']
    expect(errs, '%s: no <note type="error">' % what, r)
    expect(any(label in t for t in errs), '%s: the error note does not name the field "%s": %r'
           % (what, label, errs), r)
    expect(r.form_type == 'form' and 'colour' in r.fields, '%s: the form is not sent again' % what, r)


def test_each_bad_value_refused_then_corrected(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/form').expect_status('executing')
    sid = r.sessionid
    for what, change, label in BAD:
        values = dict(GOOD)
        values.update(change)
        expect_refused(submit(env, sid, values), what, label, sid)
    # The session survived every refusal.
    ok = submit(env, sid, GOOD).expect_status('completed', 'corrected resubmission')
    expect(ok.note_text() == 'Ordered 7 green for Alice, token t0k3n', 'note %r' % ok.note_text(), ok)


def test_missing_form_refused(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    r = alice.command(env.agent_jid, 'test/form', sid, 'complete')
    expect_refused(r, 'complete without any form', 'Colour', sid)
    submit(env, sid, GOOD).expect_status('completed', 'resubmission after a missing form')


def test_valid_edge_values_accepted(env):
    # Range edges are accepted.
    for count in ('1', '500'):
        alice = env.client('alice')
        sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
        values = dict(GOOD, count=count, loud='0', buddy='carol@example.test/phone')
        r = submit(env, sid, values).expect_status('completed', 'count=%s' % count)
        expect('Ordered %s green' % count in r.note_text(), 'note %r' % r.note_text(), r)


def test_hidden_field_kept_by_session(env):
    # A hidden field comes back as the requester likes: the session uses its own copy,
    # or refuses the change; never the tampered value.
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    r = submit(env, sid, dict(GOOD, token='evil'))
    expect('evil' not in r.note_text(), 'the tampered hidden value was used: %r' % r.note_text(), r)
    if r.type == 'result':
        r.expect_status('completed')
        expect('token t0k3n' in r.note_text(), 'note %r' % r.note_text(), r)
    else:
        r.expect_error('modify', 'bad-request', 'bad-payload', 'tampered hidden field')


def test_confirm_stage_validated(env):
    bob = env.client('bob')
    r = bob.execute(env.agent_jid, 'test/confirm').expect_status('executing')
    sid = r.sessionid
    bad = bob.command(env.agent_jid, 'test/confirm', sid, 'next', {'unit': 'sshd.service'})
    bad.expect_error('modify', 'bad-request', 'bad-payload', 'unit not among the options')
    expect(any('Unit' in t for ty, t in bad.notes if ty == 'error'), 'error note must name "Unit"', bad)
    r2 = bob.command(env.agent_jid, 'test/confirm', sid, 'next', {'unit': 'nginx.service'})
    r2.expect_status('executing', 'corrected stage 1')
    bad2 = bob.command(env.agent_jid, 'test/confirm', sid, 'complete', {'confirm': 'perhaps'})
    bad2.expect_error('modify', 'bad-request', 'bad-payload', 'confirm is not a boolean')
    bob.command(env.agent_jid, 'test/confirm', sid, 'complete', {'confirm': '1'}) \
        .expect_status('completed', 'confirmed after a bad value')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_each_bad_value_refused_then_corrected,
        test_missing_form_refused,
        test_valid_edge_values_accepted,
        test_hidden_field_kept_by_session,
        test_confirm_stage_validated,
    ]))
