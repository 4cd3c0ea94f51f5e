#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""XEP-0198: when the agent's TCP connection breaks but the server keeps its session, the
agent resumes that session instead of binding a new one, keeps its full JID, and serves
commands again. A small TCP relay between the agent and Prosody lets the test cut the
connection without touching the server."""

import os
import socket
import sys
import threading

import harness as H
from harness import expect


class Relay:
    """Forwards 127.0.0.1:port to the server; cut() drops every relayed connection."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((H.HOST, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection((H.HOST, self.target))
            with self.lock:
                self.conns += [c, s]
            threading.Thread(target=self._pipe, args=(c, s), daemon=True).start()
            threading.Thread(target=self._pipe, args=(s, c), daemon=True).start()

    def cut(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


class Via:
    """What Agent.account_yaml() needs of a server: the relay's port, the real domain."""

    def __init__(self, prosody, port):
        self.port = port
        self.domain = prosody.domain
        self.passwords = prosody.passwords


def test_resume_after_broken_connection(env):
    if not H.prosody_has_module('smacks'):
        H.log('Prosody has no mod_smacks here: nothing to resume')
        return
    relay = Relay(env.prosody.port)
    env.agent = H.Agent(env.dir, os.path.abspath(os.environ.get('ADHOCD_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')),
        Via(env.prosody, relay.port), env.pki)
    env.agent.sleep = env.sleep
    env.agent.write_password(env.prosody.passwords['agent'])
    env.agent.write_config(H.STANDARD_POLICY)
    env.agent.start()
    jid = env.agent_jid
    alice = env.client('alice')
    alice.execute(jid, 'test/hello').expect_status('completed', 'before the cut')

    mark = env.agent.log_mark()
    relay.cut()
    env.agent.wait_log(r'Session resumed successfully', since=mark, timeout=90)
    env.agent.wait_log(r'online as ', since=mark, timeout=30)
    expect('online as %s' % jid in env.agent.log_text()[mark:],
           'after resuming, the agent must keep its full JID %s' % jid)
    alice.execute(jid, 'test/hello').expect_status('completed', 'after the resume')
    relay.sock.close()


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_resume_after_broken_connection], start_agent=False))
