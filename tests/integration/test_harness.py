#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Self-check of the harness, without the agent: the private Prosody, its TLS,
the accounts, the roster groups as the agent will read them, subscriptions,
and a restart on the same port. When this fails, every other integration test
would fail for reasons that have nothing to do with adhocd."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import harness as H
from harness import expect


def test_reply_helpers(env):
    el = ET.fromstring(
        "<iq xmlns='jabber:client' type='error' id='x1' from='a@b/c' xml:lang='fr'>"
        "<command xmlns='http://jabber.org/protocol/commands' node='n' status='executing' sessionid='s'>"
        "<note type='error'>Count: bad</note><actions execute='complete'><prev/><complete/></actions>"
        "<x xmlns='jabber:x:data' type='form'><title>T</title>"
        "<field var='count' type='text-single' label='Count'><required/><value>5</value>"
        "<validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:integer'>"
        "<range min='1' max='9'/></validate></field>"
        "<field var='c' type='list-single'><option label='Red'><value>red</value></option></field>"
        "</x></command><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "<bad-payload xmlns='http://jabber.org/protocol/commands'/></error></iq>")
    r = H.Reply(el)
    expect(r.type == 'error' and r.lang == 'fr' and r.status == 'executing', 'attributes', r)
    expect(r.sessionid == 's' and r.node == 'n', 'command attributes', r)
    expect(r.notes == [('error', 'Count: bad')], 'notes %r' % r.notes)
    expect(r.actions == ('complete', ['prev', 'complete']), 'actions %r' % (r.actions,))
    expect(r.form_type == 'form' and r.form_title == 'T', 'form')
    f = r.fields
    expect(f['count'].required and f['count'].value == '5' and f['count'].label == 'Count', 'field %r' % f)
    expect(f['count'].validate.get('datatype') == 'xs:integer', 'validate')
    expect(f['c'].options == [('Red', 'red')], 'options %r' % f['c'].options)
    expect(r.error == ('modify', 'bad-request', 'bad-payload', None), 'error %r' % (r.error,))
    r.expect_error('modify', 'bad-request', 'bad-payload', 'helper')
    c = r.canonical(placeholders=['n'])
    expect('x1' not in c and 'a@b/c' not in c and "node='PLACEHOLDER'" in c, c)
    expect(H.xml_str(el).startswith("<iq xmlns='jabber:client' from='a@b/c' id='x1' type='error' xml:lang='fr'>"),
           H.xml_str(el))


def test_loopback_only(env):
    port = env.prosody.port
    expect(H.port_accepts(port, '127.0.0.1'), 'Prosody does not accept on 127.0.0.1:%d' % port)
    # 127.0.0.2 is loopback too, but a socket bound to 127.0.0.1 does not answer there.
    expect(not H.port_accepts(port, '127.0.0.2'), 'Prosody listens beyond 127.0.0.1 on port %d' % port)
    if shutil.which('ss'):
        out = subprocess.run(['ss', '-Hltnp'], stdout=subprocess.PIPE, text=True).stdout
        mine = [l for l in out.splitlines() if 'pid=%d,' % env.prosody.proc.pid in l]
        expect(mine, 'ss shows no listening socket of Prosody (pid %d):\n%s' % (env.prosody.proc.pid, out))
        for l in mine:
            expect('127.0.0.1:%d' % port in l, 'Prosody listens on something else: %s' % l)


def _read_until(sock, marker, limit=65536):
    data = b''
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode('utf-8', 'replace')


def test_starttls_required(env):
    with socket.create_connection((H.HOST, env.prosody.port), timeout=20) as s:
        s.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>"
                   % env.domain).encode())
        feats = _read_until(s, b'</stream:features>')
    expect("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" in feats
           or re.search(r'<starttls[^>]*xmpp-tls[^>]*>\s*<required/>', feats),
           'the server does not require STARTTLS:\n' + feats)
    expect('mechanisms' not in feats, 'the server offers SASL before TLS:\n' + feats)


def test_tls_verified_against_generated_ca(env):
    # The server certificate chains to the generated CA and names the domain.
    out = subprocess.run(['openssl', 'verify', '-CAfile', env.pki.ca_cert, env.pki.cert],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    expect(out.returncode == 0, 'openssl verify: ' + out.stdout)
    text = subprocess.run(['openssl', 'x509', '-in', env.pki.cert, '-noout', '-ext', 'subjectAltName'],
                          stdout=subprocess.PIPE, text=True).stdout
    expect('DNS:%s' % env.domain in text, 'server certificate SAN: ' + text)
    alice = env.client('alice')
    expect(alice.xmpp.boundjid.bare == env.jid('alice'), 'bound %s' % alice.xmpp.boundjid)
    # A client trusting another CA must refuse the server.
    other = H.Pki(os.path.join(env.dir, 'other-ca'), env.domain)
    other.generate()
    c = H.Client(env, 'bob', 'distrust', ca_file=other.ca_cert)
    try:
        c.connect(timeout=20)
    except H.Failure as e:
        H.log('as expected: %s' % e)
        expect('not trusted' in str(e), 'expected a certificate failure, got: %s' % e)
    else:
        c.close()
        raise H.Failure('a client trusting another CA logged in: TLS is not verified')


def test_roster_groups_read_back(env):
    # The harness set them in main(); another resource of the agent reads them.
    check = H.Client(env, 'agent', 'check', presence=False).connect()
    roster = check.roster_get()
    expect(roster.get(env.jid('alice'), {}).get('groups') == ['flatmates'], 'alice: %r' % roster)
    expect(roster.get(env.jid('bob'), {}).get('groups') == ['admins'], 'bob: %r' % roster)
    expect(env.jid('carol') in roster and roster[env.jid('carol')]['groups'] == [], 'carol: %r' % roster)
    expect(env.jid('mallory') not in roster, 'mallory must not be in the roster: %r' % roster)
    # A change by the setup resource is pushed to the other resources of the account.
    env.set_groups({'carol': ['flatmates', 'admins']})
    env.wait_until(lambda: any(env.jid('carol') in p['roster']['items'] for p in check.roster_pushes),
                   H.START_TIMEOUT, 'the roster push to agent/check')
    roster = check.roster_get()
    expect(roster[env.jid('carol')]['groups'] == ['admins', 'flatmates'], 'carol: %r' % roster)
    env.set_groups({'carol': []})
    check.close()


def test_subscription(env):
    alice = env.subscribe_to_agent('alice')
    r = alice.roster_get()
    expect(r[env.jid('agent')]['subscription'] in ('to', 'both'), 'alice roster: %r' % r)
    # A resource of the agent that comes online is seen by alice.
    c = H.Client(env, 'agent', 'presence-check', presence=True).connect()
    alice.wait_presence(lambda f, t, el: f == c.jid and t in ('', 'available'), H.START_TIMEOUT,
                        'alice to see agent/presence-check online')
    c.close()
    alice.wait_presence(lambda f, t, el: f == c.jid and t == 'unavailable', H.START_TIMEOUT,
                        'alice to see agent/presence-check go offline')


def test_server_answers(env):
    alice = env.client('alice')
    alice.ping(env.domain).expect_result('ping to the server')
    r = alice.disco_info(env.domain).expect_result('disco#info of the server')
    feats = {f.get('var') for f in r.xml.iter('{%s}feature' % H.NS_DISCO_INFO)}
    expect(H.NS_PING in feats, 'server features %r' % feats)
    # An iq to a full JID that is not online gets an error, not silence.
    alice.ping(env.jid('bob') + '/nowhere').expect_error('cancel', 'service-unavailable', what='ping offline')


def test_smacks_offered(env):
    """The agent resumes with XEP-0198 when the server offers it."""
    if not H.prosody_has_module('smacks'):
        H.log('this Prosody has no mod_smacks: XEP-0198 is not offered')
        return
    alice = env.client('alice')
    feats = [f for f in alice.stream_features
             if f.find('{urn:xmpp:sm:3}sm') is not None]
    expect(feats, 'no <sm xmlns="urn:xmpp:sm:3"/> in the stream features: %s'
           % ' '.join(H.xml_str(f) for f in alice.stream_features))


def test_restart_same_port(env):
    port = env.prosody.port
    old = env.prosody.proc.pid
    env.restart_server(signal.SIGKILL)
    expect(env.prosody.port == port and env.prosody.proc.pid != old, 'not restarted on the same port')
    alice = env.client('alice')
    alice.ping(env.domain).expect_result('ping after restart')
    check = H.Client(env, 'agent', 'check2', presence=False).connect()
    expect(check.roster_get()[env.jid('alice')]['groups'] == ['flatmates'], 'roster lost in the restart')
    check.close()


def test_demo_config_render(env):
    tpl = ('# demo\naccount:\n  jid: agent@localhost   # who\n  port: 5222\n  password: x\n'
           '  priority: 1\n\ncommands: []\n')
    out = H.render_demo_config(tpl, {'jid': 'agent@d', 'port': '4000', 'password': None,
                                     'ca_file': '"/ca.pem"'})
    expect(out == ('# demo\naccount:\n  jid: agent@d\n  port: 4000\n  priority: 1\n'
                   '  ca_file: "/ca.pem"\n\ncommands: []\n'), repr(out))


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_reply_helpers,
        test_loopback_only,
        test_starttls_required,
        test_tls_verified_against_generated_ca,
        test_roster_groups_read_back,
        test_subscription,
        test_server_answers,
        test_smacks_offered,
        test_restart_same_port,
        test_demo_config_render,
    ], start_agent=False))
