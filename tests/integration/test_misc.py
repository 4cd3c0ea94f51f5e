#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Everything else the agent answers: XEP-0199 ping, XEP-0092 version, iqs it
does not handle (answered, never dropped), its presence, and a clean SIGTERM:
unavailable presence that a subscribed contact sees, pending requests
answered, exit code 0."""

import base64
import sys

import harness as H
from harness import expect


def agent_presences(client, env, ptype):
    return [p for p in client.presences if p[0] == env.agent_jid and p[1] == ptype]


def test_presence_seen_by_subscriber(env):
    alice = env.client('alice')
    alice.wait_presence(lambda f, t, el: f == env.agent_jid and t in ('', 'available'), 30,
                        'alice (subscribed) to see the agent online')


def test_ping(env):
    for user in ('alice', 'mallory'):
        r = env.client(user).ping(env.agent_jid).expect_result('XEP-0199 ping from %s' % user)
        expect(len(r.xml) == 0, 'a ping result has no payload', r)


def test_version(env):
    r = env.client('alice').version(env.agent_jid).expect_result('jabber:iq:version')
    q = r.xml.find('{%s}query' % H.NS_VERSION)
    expect(q is not None, 'no <query xmlns="jabber:iq:version"/>', r)
    expect(q.findtext('{%s}name' % H.NS_VERSION) == 'adhocd', 'name %r' % q.findtext('{%s}name' % H.NS_VERSION), r)
    expect(q.findtext('{%s}version' % H.NS_VERSION), 'no version', r)


def test_unhandled_iq_answered(env):
    alice = env.client('alice')
    for itype in ('get', 'set'):
        r = alice.raw_iq("<iq type='%s' to='%s'><query xmlns='urn:example:unknown'/></iq>"
                         % (itype, env.agent_jid))
        r.expect_error('cancel', 'service-unavailable', what='iq %s of an unknown namespace' % itype)
    # An iq without a payload is answered with an error too.
    r = alice.raw_iq("<iq type='get' to='%s'/>" % env.agent_jid)
    expect(r.type == 'error', 'an empty iq get got type=%r' % r.type, r)
    # A known namespace in the wrong iq type: a version "set".
    r = alice.raw_iq("<iq type='set' to='%s'><query xmlns='jabber:iq:version'/></iq>" % env.agent_jid)
    expect(r.type == 'error', 'iq set of jabber:iq:version got type=%r' % r.type, r)


def test_stranger_gets_errors_not_silence(env):
    mallory = env.client('mallory')
    r = mallory.raw_iq("<iq type='set' to='%s'><command xmlns='%s' node='test/hello' sessionid='x'"
                       " action='complete'/></iq>" % (env.agent_jid, H.NS_COMMANDS))
    expect(r.type == 'error', 'a stranger continuing a made-up session got type=%r' % r.type, r)


def audit_lines(env, mark, jid, node):
    return [l for l in env.agent.log_text()[mark:].splitlines() if jid in l and node in l]


def test_audit_and_secrets(env):
    alice, carol = env.client('alice'), env.client('carol')
    mark = env.agent.log_mark()
    secret = 'Pr1vate-' + H.make_password()
    r = alice.execute(env.agent_jid, 'test/form').expect_status('executing')
    alice.command(env.agent_jid, 'test/form', r.sessionid, 'complete',
                  {'colour': 'red', 'count': 'many', 'name': 'A', 'secret': secret}) \
        .expect_error('modify', 'bad-request', 'bad-payload', 'a rejected form')
    alice.command(env.agent_jid, 'test/form', r.sessionid, 'complete',
                  {'colour': 'red', 'count': '3', 'name': 'A', 'secret': secret}) \
        .expect_status('completed', 'the corrected form')
    carol.execute(env.agent_jid, 'test/hello').expect_error('cancel', 'item-not-found', what='a denial')
    env.sleep(0.5)  # let the log lines reach the file
    problems = []
    lines = audit_lines(env, mark, alice.jid, 'test/form')
    if len(lines) < 2:
        problems.append('expected audit lines for the rejected and the completed form of %s, got %r'
                        % (alice.jid, lines))
    if not audit_lines(env, mark, carol.jid, 'test/hello'):
        problems.append('no audit line for the denial of test/hello to %s' % carol.jid)
    text = env.agent.log_text()
    if secret in text:
        problems.append('a text-private value appears in the agent log (even with --verbose it must not)')
    pw = env.prosody.passwords['agent']
    plain = base64.b64encode(('\0agent\0' + pw).encode()).decode()
    if pw in text or plain in text:
        problems.append('the account password appears in the agent log')
    expect(not problems, '\n'.join(problems))


def check_graceful_in_server_log(env):
    """Prosody's debug log shows whether the agent itself sent unavailable presence and
    closed its stream: the server would tell contacts the same on a dropped connection."""
    lines = open(env.prosody.log_path, errors='replace').read().splitlines()
    bound = [l for l in lines if ('Resource bound: %s' % env.agent_jid) in l]
    if not bound:
        return ['cannot find the agent\'s session in the Prosody log']
    sess = bound[-1].split('\t')[0].split()[-1]
    mine = [l.split('\t', 2)[-1] for l in lines if l.split('\t')[0].endswith(' ' + sess)]
    out = []
    if not any(l.startswith('Received[c2s]: <presence') and "type='unavailable'" in l for l in mine):
        out.append('the agent did not send unavailable presence before leaving (session %s)' % sess)
    if not any(l.startswith('Received </stream:stream>') for l in mine):
        out.append('the agent did not close its stream (no </stream:stream> in session %s)' % sess)
    return out


def test_sigterm(env):
    alice = env.client('alice')
    problems = []
    mark = env.agent.log_mark()
    el = alice.iq_element('set', alice.command_element('test/slow', 'execute'), env.agent_jid)
    slow = alice.send_iq_async(el, timeout=60)
    env.wait_agent_saw('test/slow', mark)
    env.agent.stopping = True
    env.agent.proc.send_signal(H.signal.SIGTERM)
    try:
        env.wait_until(lambda: env.agent.proc.poll() is not None, 10, 'the agent to exit after SIGTERM')
    except H.Failure as e:
        problems.append(str(e))
        env.agent.kill()
    code = env.agent.proc.returncode
    env.agent.exit_code = code
    if code != 0:
        problems.append('the agent exited with code %s after SIGTERM, expected 0' % code)
    try:
        alice.wait_presence(lambda f, t, el: f == env.agent_jid and t == 'unavailable', 30,
                            'alice to see the agent\'s unavailable presence')
    except H.Failure as e:
        problems.append(str(e))
    problems += check_graceful_in_server_log(env)
    try:
        env.wait_until(lambda: slow.done(), 30, 'an answer to the request pending at SIGTERM')
        r = slow.result()
        if r.type not in ('result', 'error'):
            problems.append('the pending request got type=%r' % r.type)
    except H.Failure as e:
        problems.append(str(e))
    expect(not problems, '\n'.join(problems))


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_presence_seen_by_subscriber,
        test_ping,
        test_version,
        test_unhandled_iq_answered,
        test_stranger_gets_errors_not_silence,
        test_audit_and_secrets,
        test_sigterm,  # last: the agent is gone afterwards
    ], subscribe=('alice',)))
