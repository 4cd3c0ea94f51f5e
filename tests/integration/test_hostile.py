#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile input end to end (issue 8, items 3-6, 8 and 9), through a real Prosody.

Every command that could run here is an exec: of a small recorder program that
appends one line to a file, so "nothing ran" is observed, not assumed. After each
kind of abuse another contact runs a command and must be answered normally.

  - hostile stanzas from an authorised contact (alice) and a stranger (mallory):
    malformed and oversized commands, 10,000 fields, 1 MiB values (Prosody's own
    256 KiB stanza limit cuts that client off: the agent must not notice), unknown
    namespaces, a wrong node, actions not offered;
  - forged values: options never offered, a changed hidden field, datatype
    violations: refused before the action;
  - sessions under abuse: guessed ids, another JID's id, replay after completion,
    and sessions opened up to the limits and abandoned: refusals are
    wait/resource-constraint and the agent's memory stays bounded;
  - a flood of 5,000 pipelined requests from one contact: the token bucket answers
    wait/resource-constraint, every request is answered, another contact is served
    meanwhile and memory comes back down;
  - SIGHUP under load: in-flight actions complete, the new rules apply at the next
    stage; broken policies (duplicate keys, aliases, deep nesting, 10 MiB) are
    refused on SIGHUP and the old policy stays.

Outcomes only, never durations: deadlines are generous (a loaded 2-core box, or
ADHOCD_WRAPPER=valgrind)."""

import os
import re
import secrets
import signal
import sys

import harness as H
from harness import expect

try:
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher.base import MatcherBase
except ImportError:  # reported by H.main()
    Callback = MatcherBase = object

WRAPPED = bool(os.environ.get('ADHOCD_WRAPPER'))
FLOOD = 600 if WRAPPED else 5000
RATE = 600                      # rate_per_minute: the bucket holds this many
MAX_PER_REQUESTER = 20
MAX_TOTAL = 50
# Memory may grow a little (allocator caches, a grown table) but not with the abuse.
RSS_MARGIN_KIB = (60 if WRAPPED else 20) * 1024

RECORD = '''#!/bin/sh
# Appends its arguments as one line: the proof that an action ran.
printf '%s\\n' "$*" >> "{log}"
'''

SLOW = '''#!/bin/sh
# Records, then waits until the test creates the release file.
printf 'start %s\\n' "$*" >> "{log}"
while [ ! -e "{release}" ]; do sleep 0.05; done
printf 'end %s\\n' "$*" >> "{log}"
'''

COMMANDS = '''
  - node: hostile/run
    name: Recorded run
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: colour, type: list-single, label: Colour, required: true, options: [red, green, blue]}}
        - {{var: count, type: text-single, label: Count, validate: {{datatype: "xs:integer", range: [1, 5]}}, default: "1"}}
        - {{var: when, type: text-single, label: When, validate: {{datatype: "xs:date"}}}}
        - {{var: token, type: hidden, default: "server-token"}}
        - {{var: buddy, type: jid-single, label: Buddy}}
        - {{var: tags, type: list-multi, label: Tags, options: [a, b]}}
        - {{var: loud, type: boolean, label: Loud}}
    exec:
      argv: [{record}, run, "{{colour}}", "{{count}}", "{{token}}", "{{tags...}}"]

  - node: hostile/quick
    name: Recorded, no form
    allow: {{groups: [flatmates, admins]}}
    exec:
      argv: [{record}, quick, "{{from_bare}}"]

  - node: hostile/admin
    name: Admins only, recorded
    allow: {{groups: [admins]}}
    exec:
      argv: [{record}, admin]

  - node: hostile/slow
    name: Slow, recorded
    allow: {{groups: [flatmates]}}
    exec:
      argv: [{slow}, slow]
      timeout: 5m
'''


def policy_text(env, changed=False):
    d = env.dir
    cmds = COMMANDS.format(record=os.path.join(d, 'bin', 'record.sh'), slow=os.path.join(d, 'bin', 'slow.sh'))
    if changed:
        # The reload under load: hostile/run moves to admins, a new command appears.
        cmds = cmds.replace('''    name: Recorded run
    allow: {groups: [flatmates]}''', '''    name: Recorded run
    allow: {groups: [admins]}''')
        cmds += '''
  - node: hostile/new
    name: Added by the reload
    allow: {groups: [flatmates]}
    reply: "new rules"
'''
    text = H.STANDARD_POLICY.replace('max_per_requester: 20', 'max_per_requester: %d' % MAX_PER_REQUESTER) \
                            .replace('max_total: 200', 'max_total: %d\n  rate_per_minute: %d' % (MAX_TOTAL, RATE))
    assert 'rate_per_minute' in text
    return text.replace('commands:\n', 'commands:\n' + cmds, 1)


GOOD = {'colour': 'red', 'count': '2'}


# --------------------------------------------------------------------------
# Helpers


def runs(env):
    """The lines the recorder wrote so far."""
    try:
        with open(os.path.join(env.dir, 'runs.log')) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class nothing_runs:
    """with nothing_runs(env, what): the recorder must not have written a line."""

    def __init__(self, env, what):
        self.env, self.what = env, what

    def __enter__(self):
        self.before = runs(self.env)

    def __exit__(self, etype, *_):
        if etype is None:
            after = runs(self.env)
            expect(after == self.before, '%s: an action ran: %r' % (self.what, after[len(self.before):]))


def others_served(env, what):
    """Another contact (bob) is still served normally, and the agent is up."""
    env.agent.check_alive()
    env.client('bob').execute(env.agent_jid, 'test/admin').expect_status('completed', 'bob after %s' % what)


def rss_kib(env):
    with open('/proc/%d/status' % env.agent.proc.pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise H.Failure('no VmRSS for the agent')


def agent_has_asan(env):
    # ASan keeps freed memory in quarantine (256 MiB by default): RSS then says nothing
    # about leaks or growth. Leaks are LeakSanitizer's and valgrind's job in those stages.
    if not hasattr(env, '_asan'):
        with open(env.agent.binary, 'rb') as f:
            env._asan = b'__asan_init' in f.read()
    return env._asan


def expect_rss_bounded(env, before, what):
    after = rss_kib(env)
    H.log('agent RSS: %d KiB before %s, %d KiB after' % (before, what, after))
    if agent_has_asan(env):
        H.log('the agent is built with ASan (freed memory is quarantined): RSS not compared')
        return
    expect(after < before + RSS_MARGIN_KIB, 'agent RSS grew from %d KiB to %d KiB after %s (margin %d KiB)'
           % (before, after, what, RSS_MARGIN_KIB))


def cmd_xml(node=None, action=None, sid=None, body='', extra=''):
    attrs = ''
    if node is not None:
        attrs += " node='%s'" % node
    if action is not None:
        attrs += " action='%s'" % action
    if sid is not None:
        attrs += " sessionid='%s'" % sid
    return "<command xmlns='%s'%s%s>%s</command>" % (H.NS_COMMANDS, attrs, extra, body)


def raw(c, env, payload, itype='set'):
    return c.raw_iq("<iq type='%s' to='%s'>%s</iq>" % (itype, env.agent_jid, payload))


def fields_xml(n, value='x'):
    return "<x xmlns='jabber:x:data' type='submit'>%s</x>" % ''.join(
        "<field var='f%d'><value>%s</value></field>" % (i, value) for i in range(n))


def expect_limit(r, what):
    r.expect_error('wait', 'resource-constraint', what=what)


# --------------------------------------------------------------------------
# The tests


def test_setup(env):
    os.makedirs(os.path.join(env.dir, 'bin'), exist_ok=True)
    log = os.path.join(env.dir, 'runs.log')
    for name, text in (('record.sh', RECORD.format(log=log)),
                       ('slow.sh', SLOW.format(log=log, release=os.path.join(env.dir, 'release')))):
        p = os.path.join(env.dir, 'bin', name)
        with open(p, 'w') as f:
            f.write(text)
        os.chmod(p, 0o755)
    env.start_agent(policy_text(env))
    alice = env.client('alice')
    expect('hostile/run' in alice.commands(env.agent_jid), 'alice does not see hostile/run')
    alice.execute(env.agent_jid, 'hostile/quick').expect_status('completed', 'the recorder works')
    expect(runs(env) == ['quick alice@example.test'], 'recorder output %r' % runs(env))


# (what, payload builder(env) -> iq child XML, expected for alice, expected for mallory)
# expected: (error type, condition, application condition or None)
BAD_REQ = ('modify', 'bad-request', None)
NOT_FOUND = ('cancel', 'item-not-found', None)
UNAVAILABLE = ('cancel', 'service-unavailable', None)
BAD_PAYLOAD = ('modify', 'bad-request', 'bad-payload')
MALFORMED = ('modify', 'bad-request', 'malformed-action')
EXPIRED = ('cancel', 'not-allowed', 'session-expired')

BIG = 'A' * (100 * 1024)

HOSTILE = [
    ('a command without a node', lambda e: cmd_xml(), BAD_REQ, BAD_REQ),
    ('an empty node', lambda e: cmd_xml(''), BAD_REQ, BAD_REQ),
    ('a wrong node', lambda e: cmd_xml('hostile/nope'), NOT_FOUND, NOT_FOUND),
    ('a node of another group', lambda e: cmd_xml('hostile/admin'), NOT_FOUND, NOT_FOUND),
    ('a 100 KiB node', lambda e: cmd_xml('hostile/' + BIG), NOT_FOUND, NOT_FOUND),
    ('an unknown action', lambda e: cmd_xml('hostile/run', 'frobnicate'), MALFORMED, MALFORMED),
    ('a 100 KiB action', lambda e: cmd_xml('hostile/run', BIG), MALFORMED, MALFORMED),
    ('prev without a session', lambda e: cmd_xml('hostile/quick', 'prev'), None, NOT_FOUND),
    ('an unknown sessionid', lambda e: cmd_xml('hostile/run', 'complete', 'f' * 32), EXPIRED, NOT_FOUND),
    ('a 100 KiB sessionid', lambda e: cmd_xml('hostile/run', 'complete', BIG), EXPIRED, NOT_FOUND),
    ('the commands namespace in an iq get', lambda e: ('get', cmd_xml('hostile/quick')), UNAVAILABLE, UNAVAILABLE),
    ('<command/> in an unknown namespace',
     lambda e: "<command xmlns='urn:example:not-commands' node='hostile/quick'/>", UNAVAILABLE, UNAVAILABLE),
    ('an unknown namespace', lambda e: "<query xmlns='urn:example:nope'><x/></query>", UNAVAILABLE, UNAVAILABLE),
    ('two children', lambda e: cmd_xml('hostile/quick') + "<foo xmlns='urn:x'/>", BAD_REQ, BAD_REQ),
    ('no child at all', lambda e: '', BAD_REQ, BAD_REQ),
    # Submitted with the first request, before any form was offered: the agent offers its
    # own form (or refuses); it never runs anything on it.
    ('10,000 fields with the first request',
     lambda e: cmd_xml('hostile/run', body="<x xmlns='jabber:x:data' type='submit'>%s</x>"
                       % ''.join("<field var='f%d'/>" % i for i in range(10000))), None, NOT_FOUND),
]


def expect_answer(r, want, what):
    if want is None:
        return
    r.expect_error(want[0], want[1], want[2], what)
    if want[2] is None:
        expect(r.error[2] is None, '%s: unexpected application condition %r' % (what, r.error[2]), r)


def test_hostile_stanzas(env):
    alice, mallory = env.client('alice'), env.client('mallory')
    for what, build, for_alice, for_mallory in HOSTILE:
        for who, c, want in (('alice', alice, for_alice), ('mallory', mallory, for_mallory)):
            payload = build(env)
            itype = 'set'
            if isinstance(payload, tuple):
                itype, payload = payload
            with nothing_runs(env, '%s from %s' % (what, who)):
                r = raw(c, env, payload, itype)
                if want is None and r.type == 'result':
                    # The agent's own form stage, never a completion.
                    r.expect_status('executing', '%s from %s' % (what, who))
                    c.command(env.agent_jid, r.node, r.sessionid, 'cancel').expect_status('canceled')
                    continue
                expect(r.type == 'error', '%s from %s: expected an error, got %r' % (what, who, r.type), r)
                expect_answer(r, want, '%s from %s' % (what, who))
        others_served(env, what)
    # What alice may not do in a session: actions not offered, at the form stage.
    sid = alice.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    with nothing_runs(env, 'actions not offered'):
        for action in ('prev', 'next'):
            alice.command(env.agent_jid, 'hostile/run', sid, action, GOOD) \
                .expect_error('modify', 'bad-request', 'bad-action', '%s at the only stage' % action)
        # Even with a valid form, a stranger gets nothing and learns nothing.
        mallory.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD) \
            .expect_error('cancel', 'item-not-found', what='mallory presenting alice\'s session')
    alice.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD).expect_status('completed', 'after abuse')
    expect(runs(env)[-1] == 'run red 2 server-token', 'recorded %r' % runs(env)[-1])


def test_many_fields_and_big_values(env):
    alice, mallory = env.client('alice'), env.client('mallory')
    # 10,000 fields (~230 KiB: under Prosody's 256 KiB stanza limit, so it reaches the agent).
    form = "<x xmlns='jabber:x:data' type='submit'>%s</x>" % ''.join(
        "<field var='f%d'/>" % i for i in range(10000))
    sid = alice.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    with nothing_runs(env, '10,000 fields'):
        r = raw(alice, env, cmd_xml('hostile/run', 'complete', sid, form))
        r.expect_error('modify', 'bad-request', 'bad-payload', '10,000 fields from alice')
        raw(mallory, env, cmd_xml('hostile/run', 'complete', sid, form)) \
            .expect_error('cancel', 'item-not-found', what='10,000 fields from mallory')
        raw(mallory, env, cmd_xml('hostile/run', body=form)) \
            .expect_error('cancel', 'item-not-found', what='10,000 fields from mallory, no session')
    others_served(env, '10,000 fields')
    # A 200 KiB value reaches the agent and is refused for its size, naming the field.
    big = 'v' * (200 * 1024)
    with nothing_runs(env, 'a 200 KiB value'):
        r = alice.command(env.agent_jid, 'hostile/run', sid, 'complete', dict(GOOD, colour=big))
        r.expect_error('modify', 'bad-request', 'bad-payload', 'a 200 KiB value')
        r = mallory.command(env.agent_jid, 'hostile/run', sid, 'complete', dict(GOOD, colour=big))
        r.expect_error('cancel', 'item-not-found', what='a 200 KiB value from mallory')
    others_served(env, 'a 200 KiB value')
    # A 1 MiB value is over Prosody's c2s_stanza_size_limit (256 KiB): the server closes that
    # client's stream, the agent never sees it and keeps serving everyone else.
    for who in ('alice', 'mallory'):
        c = env.client(who, resource='huge', fresh=True)
        mark = env.agent.log_mark()
        with nothing_runs(env, 'a 1 MiB value from %s' % who):
            el = c.iq_element('set', c.command_element('hostile/run', 'complete', sid,
                                                       dict(GOOD, colour='w' * (1024 * 1024))), env.agent_jid)
            fut = c.send_iq_async(el, timeout=60 * H._SLOW)
            env.wait_until(lambda: fut.done() or not c.xmpp.is_connected(), 60 * H._SLOW,
                           'an answer to 1 MiB, or Prosody closing that stream', interval=0.2)
            if fut.done() and not fut.exception():
                # Should a server let it through, the agent must refuse it.
                r = fut.result()
                expect(r.type == 'error', 'a 1 MiB value from %s was accepted' % who, r)
            H.log('1 MiB from %s: %s' % (who, 'answered' if fut.done() else 'stream closed by the server'))
            fut.cancel()
        expect('w' * 1000 not in env.agent.log_text()[mark:], 'the 1 MiB value reached the agent')
        c.xmpp.abort()
        others_served(env, 'a 1 MiB value from %s' % who)
    alice.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD).expect_status('completed')


def test_malformed_xml(env):
    # Not well-formed XML never reaches the agent: Prosody ends that client's stream.
    c = env.client('mallory', resource='broken', fresh=True)
    c.xmpp.send_raw("<iq type='set' id='bad1' to='%s'><command xmlns='%s' node='hostile/quick'></iq>"
                    % (env.agent_jid, H.NS_COMMANDS))
    env.wait_until(lambda: not c.xmpp.is_connected(), 30 * H._SLOW, 'Prosody to close a broken stream',
                   interval=0.2)
    c.xmpp.abort()
    others_served(env, 'malformed XML')


FORGED = [
    ('an option never offered', {'colour': 'purple'}),
    ('an option of another field', {'colour': 'a'}),
    ('two values for a list-single', {'colour': ['red', 'green']}),
    ('a list-multi option never offered', {'tags': ['a', 'c']}),
    ('a list-multi option with a path', {'tags': ['../a']}),
    ('not an integer', {'count': 'abc'}),
    ('an integer with a shell tail', {'count': '1; touch /tmp/pwned'}),
    ('an integer out of range', {'count': '9999'}),
    ('a negative integer', {'count': '-1'}),
    ('a decimal', {'count': '1.5'}),
    ('not a date', {'when': '2024-13-45'}),
    ('a date with junk', {'when': '2024-01-01 extra'}),
    ('not a boolean', {'loud': 'maybe'}),
    ('not a JID', {'buddy': 'not a jid@@'}),
    ('a required field missing', {'colour': None}),
    ('a required field empty', {'colour': ''}),
]


def test_forged_values(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    for what, change in FORGED:
        values = dict(GOOD)
        values.update(change)
        with nothing_runs(env, what):
            r = alice.command(env.agent_jid, 'hostile/run', sid, 'complete', values)
            r.expect_error('modify', 'bad-request', 'bad-payload', what)
            expect(r.sessionid == sid and r.status == 'executing', '%s: the session must stay open' % what, r)
    # A hidden field changed by the requester: the session's own copy is what counts.
    before = len(runs(env))
    r = alice.command(env.agent_jid, 'hostile/run', sid, 'complete', dict(GOOD, token='evil'))
    got = runs(env)[before:]
    expect(not any('evil' in line for line in got), 'the forged hidden value reached the action: %r' % got)
    if r.type == 'result':
        r.expect_status('completed', 'hidden field changed')
        expect(got == ['run red 2 server-token'], 'recorded %r' % got)
    else:
        r.expect_error('modify', 'bad-request', 'bad-payload', 'hidden field changed')
        alice.command(env.agent_jid, 'hostile/run', sid, 'cancel').expect_status('canceled')
    others_served(env, 'forged values')


def test_session_abuse(env):
    alice, bob, mallory = env.client('alice'), env.client('bob'), env.client('mallory')
    alice2 = env.client('alice', resource='second')
    sid = alice.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    with nothing_runs(env, 'session abuse'):
        for i in range(50):
            guess = secrets.token_hex(16)
            alice.command(env.agent_jid, 'hostile/run', guess, 'complete', GOOD) \
                .expect_error('cancel', 'not-allowed', 'session-expired', 'guessed id %d' % i)
        # Near misses of the real id.
        for guess in (sid[:-1], sid + '0', sid.upper() if sid.upper() != sid else sid.lower(), ' ' + sid):
            r = alice.command(env.agent_jid, 'hostile/run', guess, 'complete', GOOD)
            r.expect_error('cancel', 'not-allowed', 'session-expired', 'near miss %r' % guess)
        alice2.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD) \
            .expect_error('modify', 'bad-request', 'bad-sessionid', 'alice\'s id from her other resource')
        mallory.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD) \
            .expect_error('cancel', 'item-not-found', what='alice\'s id from a stranger')
        bob.command(env.agent_jid, 'hostile/quick', sid, 'execute') \
            .expect_error('modify', 'bad-request', 'bad-sessionid', 'alice\'s id for another node by bob')
    before = len(runs(env))
    alice.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD).expect_status('completed')
    expect(len(runs(env)) == before + 1, 'the owner\'s completion did not run exactly once')
    with nothing_runs(env, 'replay after completion'):
        for action in ('complete', 'execute', 'cancel'):
            alice.command(env.agent_jid, 'hostile/run', sid, action, GOOD) \
                .expect_error('cancel', 'not-allowed', 'session-expired', 'replay (%s) after completion' % action)
    others_served(env, 'session abuse')


def test_abandoned_sessions(env):
    """Open sessions up to the limits and abandon them, several rounds: refusals are
    wait/resource-constraint, memory stays bounded, and everything works afterwards."""
    users = ['alice', 'carol', 'bob']
    node = {'alice': 'hostile/run', 'carol': 'hostile/run', 'bob': 'test/confirm'}
    env.client('alice').execute(env.agent_jid, 'test/hello').expect_status('completed', 'warm-up')
    rss0 = rss_kib(env)
    rounds = 1 if WRAPPED else 3
    opened = 0
    for rnd in range(rounds):
        sids = {u: [] for u in users}
        # Each requester up to max_per_requester, until max_total refuses everyone.
        with nothing_runs(env, 'opening sessions'):
            for u in users:
                c = env.client(u)
                while True:
                    r = c.execute(env.agent_jid, node[u])
                    if r.type == 'error':
                        expect_limit(r, '%s: session %d, round %d' % (u, len(sids[u]) + 1, rnd))
                        break
                    r.expect_status('executing')
                    sids[u].append(r.sessionid)
                    expect(len(sids[u]) <= MAX_PER_REQUESTER, '%s opened more than %d sessions'
                           % (u, MAX_PER_REQUESTER))
        n = sum(len(v) for v in sids.values())
        opened += n
        expect(n == MAX_TOTAL, 'round %d: %d sessions open in all, expected max_total=%d (%r)'
               % (rnd, n, MAX_TOTAL, {u: len(v) for u, v in sids.items()}))
        expect(len(sids['alice']) == MAX_PER_REQUESTER, 'alice held %d sessions' % len(sids['alice']))
        # The limit holds for a command without a form too, and nothing runs.
        with nothing_runs(env, 'at max_total'):
            expect_limit(env.client('alice', resource='second').execute(env.agent_jid, 'hostile/quick'),
                         'a new command at max_total')
        # Abandoned: the clients go away without canceling; the owner's cancels free them.
        for u in users:
            c = env.client(u)
            for sid in sids[u]:
                c.command(env.agent_jid, node[u], sid, 'cancel').expect_status('canceled')
        env.client('alice').execute(env.agent_jid, 'test/hello').expect_status('completed', 'after round %d' % rnd)
    expect_rss_bounded(env, rss0, '%d sessions opened and abandoned' % opened)


class _IqIdPrefix(MatcherBase):
    def match(self, stanza):
        xml = stanza.xml
        return (xml.tag == '{%s}iq' % H.NS_CLIENT and xml.get('type') in ('result', 'error')
                and (xml.get('id') or '').startswith(self._criteria))


def test_flood(env):
    carol, alice = env.client('carol'), env.client('alice')
    carol.execute(env.agent_jid, 'test/hello').expect_status('completed', 'carol before the flood')
    alice.execute(env.agent_jid, 'test/hello').expect_status('completed', 'alice before the flood')
    rss0 = rss_kib(env)
    answers = {}
    order = []
    prefix = 'flood-%s-' % secrets.token_hex(4)

    def on_answer(stanza):
        answers[stanza.xml.get('id')] = H.Reply(stanza.xml)
        order.append(stanza.xml.get('id'))
    carol.xmpp.register_handler(Callback('flood answers', _IqIdPrefix(prefix), on_answer))
    for i in range(FLOOD):
        carol.xmpp.send_raw("<iq type='set' id='%s%d' to='%s'><command xmlns='%s' node='test/hello'/></iq>"
                            % (prefix, i, env.agent_jid, H.NS_COMMANDS))
    # Once the agent is answering the flood, another contact asks for a command.
    env.wait_until(lambda: answers, 60 * H._SLOW, 'the first answer to the flood', interval=0.05)
    fut = alice.send_iq_async(alice.iq_element('set', alice.command_element('test/hello'), env.agent_jid),
                              timeout=120 * H._SLOW)
    r = env.run_checked(fut, 125 * H._SLOW)
    seen = len(answers)
    r.expect_status('completed', 'alice during the flood')
    H.log('alice answered after %d of %d flood answers' % (seen, FLOOD))
    env.wait_until(lambda: len(answers) == FLOOD, 300 * H._SLOW,
                   'all %d flood requests to be answered (%d so far)' % (FLOOD, len(answers)), interval=0.5)
    carol.xmpp.remove_handler('flood answers')
    done = [i for i, a in answers.items() if a.type == 'result']
    limited = [i for i, a in answers.items() if a.error and a.error[:2] == ('wait', 'resource-constraint')]
    other = [a for a in answers.values() if a.type != 'result' and
             not (a.error and a.error[:2] == ('wait', 'resource-constraint'))]
    H.log('flood: %d completed, %d wait/resource-constraint' % (len(done), len(limited)))
    expect(not other, 'flood answers other than completed or wait/resource-constraint: %s' %
           '\n'.join(str(a) for a in other[:3]))
    for i in done[:50]:
        answers[i].expect_status('completed', 'a flood request let through')
    # The bucket holds RATE tokens and refills slowly: most of the flood is refused.
    expect(len(done) >= 1 and len(done) <= RATE + FLOOD // 2,
           '%d of %d flood requests ran (bucket of %d)' % (len(done), FLOOD, RATE))
    expect(len(limited) >= FLOOD - RATE - FLOOD // 2, 'only %d flood requests were rate limited' % len(limited))
    others_served(env, 'the flood')
    alice.execute(env.agent_jid, 'test/hello').expect_status('completed', 'alice after the flood')
    expect_rss_bounded(env, rss0, 'a flood of %d requests' % FLOOD)


RELOADED = re.compile(r'Configuration reloaded')
RELOAD_FAILED = re.compile(r'(?im)^.*(reload.*(fail|reject|invalid|error|keep)|'
                           r'(fail|reject|invalid|error|keep).*reload).*$')


def test_reload_under_load(env):
    alice, bob = env.client('alice'), env.client('bob')
    release = os.path.join(env.dir, 'release')
    if os.path.exists(release):
        os.remove(release)
    # In flight: two slow replies, one slow program, and an open form stage.
    sid = alice.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    slow = [alice.send_iq_async(alice.iq_element('set', alice.command_element(n), env.agent_jid),
                                timeout=120 * H._SLOW) for n in ('test/slow', 'test/slow', 'hostile/slow')]
    env.wait_until(lambda: 'start slow' in runs(env), 30 * H._SLOW, 'the slow program to start')
    mark = env.agent.log_mark()
    env.agent.write_config(policy_text(env, changed=True))
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(RELOADED.pattern, since=mark, what='the reload under load')
    # The new rules apply at the next stage of the open session: alice lost hostile/run.
    with nothing_runs(env, 'next stage after the reload'):
        r = alice.command(env.agent_jid, 'hostile/run', sid, 'complete', GOOD)
        r.expect_error('cancel', 'item-not-found', what='a stage after hostile/run moved to admins')
    alice.execute(env.agent_jid, 'hostile/new').expect_status('completed', 'a command the reload added')
    # The in-flight actions complete under the rules they started with.
    with open(release, 'w'):
        pass
    for i, fut in enumerate(slow):
        r = env.run_checked(fut, 125 * H._SLOW)
        r.expect_status('completed', 'in-flight command %d across the reload' % i)
    expect('end slow' in runs(env), 'the slow program did not finish: %r' % runs(env))
    # And bob may now run hostile/run.
    bsid = bob.execute(env.agent_jid, 'hostile/run').expect_status('executing').sessionid
    bob.command(env.agent_jid, 'hostile/run', bsid, 'complete', GOOD).expect_status('completed', 'bob after reload')
    # Back to the first policy.
    mark = env.agent.log_mark()
    env.agent.write_config(policy_text(env))
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(RELOADED.pattern, since=mark, what='the reload back')
    env.wait_until(lambda: 'hostile/run' in alice.commands(env.agent_jid), 30 * H._SLOW,
                   'hostile/run to be alice\'s again', interval=0.3)


def broken_policies(env):
    good = policy_text(env)
    nested = 'x: ' + '[' * 10000 + ']' * 10000 + '\n'
    return [
        ('duplicate keys', good.replace('sessions:\n', 'sessions:\n  max_total: 3\n', 1)),
        ('a duplicate top-level key', good + '\nsessions: {max_total: 1}\n'),
        ('an anchor and alias', good.replace('    allow: {groups: [admins]}\n    reply: "Admin task done"',
                                             '    allow: &adm {groups: [admins]}\n    reply: "Admin task done"', 1)
         .replace('name: Restart a unit\n    allow: {groups: [admins]}', 'name: Restart a unit\n    allow: *adm', 1)),
        ('a self-referencing alias', good + '\nloop: &l [1, *l]\n'),
        ('10,000-deep nesting', good + nested),
        ('a 10 MiB file', good + ('# padding' + ' ' * 1014 + '\n') * (10 * 1024)),
    ]


def test_broken_policy_on_sighup(env):
    alice = env.client('alice')
    for what, text in broken_policies(env):
        assert text != policy_text(env), what
        mark = env.agent.log_mark()
        env.agent.write_config(text)
        env.agent.send_signal(signal.SIGHUP)

        def failed():
            return RELOAD_FAILED.search(env.agent.log_text()[mark:].replace(env.dir, '<dir>'))
        env.wait_until(failed, 30 * H._SLOW, 'a log line saying the reload with %s failed' % what, interval=0.2)
        expect(not RELOADED.search(env.agent.log_text(), mark), 'a policy with %s was loaded' % what)
        # The old policy stays in force, in full.
        alice.execute(env.agent_jid, 'hostile/quick').expect_status('completed', 'alice after %s' % what)
        expect('hostile/run' in alice.commands(env.agent_jid), 'alice lost hostile/run after %s' % what)
        others_served(env, 'a reload with %s' % what)
    env.agent.write_config(policy_text(env))


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_setup,
        test_hostile_stanzas,
        test_many_fields_and_big_values,
        test_malformed_xml,
        test_forged_values,
        test_session_abuse,
        test_abandoned_sessions,
        test_reload_under_load,
        test_broken_policy_on_sighup,
        test_flood,
    ], groups={'alice': ['flatmates'], 'bob': ['admins'], 'carol': ['flatmates']}, start_agent=False))
