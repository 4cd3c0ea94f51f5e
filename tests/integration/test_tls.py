#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""TLS is verified and mandatory: the agent refuses a server whose certificate its CA did not
sign, and never sends credentials to a server that offers no STARTTLS (libstrophe would fall
back to plaintext without XMPP_CONN_FLAG_MANDATORY_TLS)."""

import os
import socket
import sys
import threading

import harness as H
from harness import expect


def agent_with(env, ca_cert, port):
    """An agent of its own whose account points at port and trusts ca_cert only."""
    pki = H.Pki(env.dir, env.prosody.domain)
    pki.ca_cert = ca_cert

    class Server:
        pass
    srv = Server()
    srv.port, srv.domain, srv.passwords = port, env.prosody.domain, env.prosody.passwords
    binary = os.environ.get('ADHOCD_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')
    d = os.path.join(env.dir, 'agent-%d' % port)
    os.makedirs(d, exist_ok=True)
    a = H.Agent(d, os.path.abspath(binary), srv, pki)
    a.sleep = env.sleep
    a.write_password(env.prosody.passwords['agent'])
    a.write_config(H.STANDARD_POLICY)
    return a


def test_untrusted_certificate(env):
    other = H.Pki(os.path.join(env.dir, 'other-ca'), env.prosody.domain)
    os.makedirs(other.dir, exist_ok=True)
    other.generate()
    a = agent_with(env, other.ca_cert, env.prosody.port)
    a.start(wait_online=False)
    try:
        a.wait_log(r'certificate was rejected', timeout=30)
        # It keeps retrying (with backoff) and never comes online.
        a.wait_log(r'Reconnecting in', timeout=30)
        expect('online as' not in a.log_text(), 'the agent went online with an untrusted certificate')
    finally:
        a.stop()


class PlainServer:
    """A fake XMPP server offering SASL PLAIN without STARTTLS; records what clients send."""

    def __init__(self, domain):
        self.domain = domain
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((H.HOST, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.received = b''
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._client, args=(c,), daemon=True).start()

    def _client(self, c):
        sent_features = False
        try:
            c.settimeout(20)
            while True:
                data = c.recv(65536)
                if not data:
                    break
                self.received += data
                if not sent_features and b'<stream:stream' in self.received:
                    c.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                               "xmlns:stream='http://etherx.jabber.org/streams' id='fake' "
                               "from='%s' version='1.0'><stream:features><mechanisms "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                               "</mechanism></mechanisms></stream:features>" % self.domain)
                              .encode())
                    sent_features = True
        except OSError:
            pass
        c.close()


def test_no_plaintext_fallback(env):
    fake = PlainServer(env.prosody.domain)
    a = agent_with(env, env.pki.ca_cert, fake.port)
    a.start(wait_online=False)
    try:
        env.wait_until(lambda: fake.connections >= 2, 60,
                       'the agent to give up on the plaintext server and try again')
        expect(b'<auth' not in fake.received and b'mechanism' not in fake.received,
               'the agent sent credentials without TLS: %r' % fake.received[-500:])
        expect(b'<stream:stream' in fake.received, 'the agent never talked to the fake server')
        expect('online as' not in a.log_text(), 'the agent went online without TLS')
    finally:
        a.stop()
        fake.sock.close()


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_untrusted_certificate, test_no_plaintext_fallback],
                    start_agent=False))
