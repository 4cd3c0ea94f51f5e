#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Running commands (XEP-0050): single stage, a form, a multi-stage command with
a confirmation, prev, cancel (by action and by a cancel form) and echo."""

import sys

import harness as H
from harness import expect

GOOD_ORDER = {'colour': 'green', 'count': '7', 'loud': 'true', 'secret': 's3cret-value',
              'token': 't0k3n', 'buddy': 'bob@example.test', 'name': 'Alice', 'code': 'abc'}


def actions_set(r):
    a = r.actions
    return None if a is None else (a[0], set(a[1]))


def test_single_stage(env):
    r = env.client('alice').execute(env.agent_jid, 'test/hello').expect_status('completed', 'test/hello')
    expect(r.node == 'test/hello', 'node not echoed: %r' % r.node, r)
    expect(r.sessionid, 'a completed command still carries its sessionid', r)
    expect(r.notes == [('info', 'Hello from the agent')], 'notes %r' % r.notes, r)
    note = r.command.find('{%s}note' % H.NS_COMMANDS)
    expect(note.get('type') in (None, 'info'), 'note type %r' % note.get('type'), r)
    expect(not r.forms, 'a command without result fields must not send <x/> (clients show it as a form)', r)
    expect(r.actions is None, 'a completed command carries <actions/>', r)
    r = env.client('bob').execute(env.agent_jid, 'test/admin').expect_status('completed', 'test/admin')
    expect(r.note_text() == 'Admin task done', 'note %r' % r.note_text(), r)


def test_form_stage(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/form').expect_status('executing', 'execute test/form')
    expect(r.node == 'test/form' and r.sessionid, 'node/sessionid missing', r)
    expect(actions_set(r) == ('complete', {'complete'}),
           'stage 1 of a one-form command: expected <actions execute="complete"><complete/></actions>, got %r'
           % (r.actions,), r)
    expect(r.form_type == 'form', 'expected <x type="form">, got %r' % r.form_type, r)
    expect(r.form_title == 'Order', 'form title %r' % r.form_title, r)
    expect(r.form.findtext('{%s}instructions' % H.NS_DATA) == 'Fill in the order', 'instructions', r)
    f = r.fields
    want = {'colour': 'list-single', 'count': 'text-single', 'loud': 'boolean', 'secret': 'text-private',
            'token': 'hidden', 'buddy': 'jid-single', 'name': 'text-single', 'code': 'text-single'}
    for var, ftype in want.items():
        expect(var in f, 'field %s missing' % var, r)
        expect(f[var].type == ftype, 'field %s: type %r, expected %r' % (var, f[var].type, ftype), r)
    expect(f['colour'].required and f['name'].required, 'required fields not marked <required/>', r)
    expect([v for _, v in f['colour'].options] == ['red', 'green', 'blue'],
           'colour options %r' % f['colour'].options, r)
    expect(f['colour'].label == 'Colour', 'colour label %r' % f['colour'].label, r)
    expect(f['count'].values == ['50'], 'count default %r' % f['count'].values, r)
    expect(f['token'].values == ['t0k3n'], 'hidden value %r' % f['token'].values, r)
    v = f['count'].validate
    expect(v is not None and v.get('datatype') == 'xs:integer',
           'count has no <validate datatype="xs:integer"> (XEP-0122)', r)
    rng = v.find('{%s}range' % H.NS_XDATA_VALIDATE)
    expect(rng is not None and (rng.get('min'), rng.get('max')) == ('1', '500'), 'count range', r)
    r2 = alice.command(env.agent_jid, 'test/form', r.sessionid, 'complete', GOOD_ORDER)
    r2.expect_status('completed', 'submit test/form')
    expect(r2.sessionid == r.sessionid, 'sessionid changed: %r -> %r' % (r.sessionid, r2.sessionid), r2)
    expect(r2.note_text() == 'Ordered 7 green for Alice, token t0k3n', 'note %r' % r2.note_text(), r2)
    expect(not r2.forms, 'completed without result fields but sent <x/>', r2)
    expect('s3cret-value' not in H.xml_str(r2.xml), 'the text-private value comes back', r2)


def test_default_action_is_execute_attribute(env):
    # A stage submitted without action= (or action="execute") runs the default of <actions execute=>.
    alice = env.client('alice')
    for action in (None, 'execute'):
        r = alice.execute(env.agent_jid, 'test/form').expect_status('executing')
        r2 = alice.command(env.agent_jid, 'test/form', r.sessionid, action, GOOD_ORDER)
        r2.expect_status('completed', 'submit with action=%r' % action)


def test_requester_status_ignored(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/form', attrs={'status': 'completed'})
    r.expect_status('executing', 'execute with a requester-supplied status')
    alice.command(env.agent_jid, 'test/form', r.sessionid, 'cancel').expect_status('canceled')


def test_confirm_prev_and_complete(env):
    bob = env.client('bob')
    jid = env.agent_jid
    r1 = bob.execute(jid, 'test/confirm').expect_status('executing', 'stage 1')
    sid = r1.sessionid
    expect(actions_set(r1) == ('next', {'next'}),
           'stage 1 of a confirmed command: expected <actions execute="next"><next/></actions>, got %r'
           % (r1.actions,), r1)
    expect('unit' in r1.fields and r1.form_type == 'form', 'stage 1 form', r1)

    r2 = bob.command(jid, 'test/confirm', sid, 'next', {'unit': 'prosody.service'})
    r2.expect_status('executing', 'stage 2 (confirm)')
    expect(r2.sessionid == sid, 'sessionid changed at stage 2', r2)
    expect(actions_set(r2) == ('complete', {'prev', 'complete'}),
           'confirm stage: expected <actions execute="complete"><prev/><complete/></actions>, got %r'
           % (r2.actions,), r2)
    c = r2.fields.get('confirm')
    expect(c is not None and c.type == 'boolean', 'confirm stage needs a boolean field var="confirm"', r2)
    expect('Restart prosody.service?' in H.xml_str(r2.command), 'confirm text not shown', r2)

    r3 = bob.command(jid, 'test/confirm', sid, 'prev')
    r3.expect_status('executing', 'prev from the confirm stage')
    expect(actions_set(r3) == ('next', {'next'}), 'back at stage 1: actions %r' % (r3.actions,), r3)
    expect('unit' in r3.fields and r3.fields['unit'].values == ['prosody.service'],
           'prev must show the first form with the submitted value', r3)

    r4 = bob.command(jid, 'test/confirm', sid, 'next', {'unit': 'nginx.service'})
    r4.expect_status('executing', 'stage 2 again')
    expect('Restart nginx.service?' in H.xml_str(r4.command), 'confirm text after prev/next', r4)

    r5 = bob.command(jid, 'test/confirm', sid, 'complete', {'confirm': 'true'})
    r5.expect_status('completed', 'complete after confirming')
    expect(r5.note_text() == 'Restarted nginx.service', 'note %r' % r5.note_text(), r5)


def test_cancel(env):
    alice, bob = env.client('alice'), env.client('bob')
    r = alice.execute(env.agent_jid, 'test/form').expect_status('executing')
    c = alice.command(env.agent_jid, 'test/form', r.sessionid, 'cancel')
    c.expect_status('canceled', 'cancel at stage 1')
    expect(c.node == 'test/form' and c.sessionid == r.sessionid, 'cancel answer node/sessionid', c)
    r = bob.execute(env.agent_jid, 'test/confirm').expect_status('executing')
    bob.command(env.agent_jid, 'test/confirm', r.sessionid, 'next', {'unit': 'nginx.service'}) \
        .expect_status('executing')
    bob.command(env.agent_jid, 'test/confirm', r.sessionid, 'cancel').expect_status('canceled', 'cancel at stage 2')


def test_cancel_form(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/form').expect_status('executing')
    c = alice.command(env.agent_jid, 'test/form', r.sessionid, 'complete', {}, form_type='cancel')
    c.expect_status('canceled', '<x type="cancel"> acts like cancel')


def test_echo(env):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'test/echo').expect_status('executing')
    r2 = alice.command(env.agent_jid, 'test/echo', r.sessionid, 'complete',
                       {'colour': 'blue', 'count': '12', 'secret': 'hunter2'})
    r2.expect_status('completed', 'echo')
    expect(r2.form_type == 'result', 'echo: expected <x type="result">, got %r' % r2.form_type, r2)
    f = r2.fields
    expect(f.get('colour') is not None and f['colour'].values == ['blue'], 'echoed colour', r2)
    expect(f.get('count') is not None and f['count'].values == ['12'], 'echoed count', r2)
    expect('hunter2' not in H.xml_str(r2.xml), 'a text-private value is echoed back', r2)
    expect(r2.note_text() == 'Echoed', 'note %r' % r2.note_text(), r2)


def test_sessions_are_independent(env):
    alice = env.client('alice')
    a = alice.execute(env.agent_jid, 'test/echo').expect_status('executing')
    b = alice.execute(env.agent_jid, 'test/echo').expect_status('executing')
    expect(a.sessionid != b.sessionid, 'two executions got the same sessionid', a, b)
    rb = alice.command(env.agent_jid, 'test/echo', b.sessionid, 'complete', {'colour': 'red'})
    rb.expect_status('completed')
    ra = alice.command(env.agent_jid, 'test/echo', a.sessionid, 'complete', {'colour': 'green'})
    ra.expect_status('completed')
    expect(ra.fields['colour'].values == ['green'] and rb.fields['colour'].values == ['red'],
           'sessions mixed up their values', ra, rb)


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_single_stage,
        test_form_stage,
        test_default_action_is_execute_attribute,
        test_requester_status_ignored,
        test_confirm_prev_and_complete,
        test_cancel,
        test_cancel_form,
        test_echo,
        test_sessions_are_independent,
    ]))
