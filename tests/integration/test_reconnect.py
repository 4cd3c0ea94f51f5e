#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The agent stays online by itself: after Prosody is killed (SIGKILL) and
started again on the same port, the agent reconnects (backoff 1 s to 60 s with
jitter) and its commands work again, with the roster loaded afresh. A server
named by a host name is looked up off the loop, and each of its addresses is
tried in turn."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import harness as H
from harness import expect

RECONNECT_TIMEOUT = 90  # the backoff tops out at 60 s


def commands_work(env, what):
    alice = env.client('alice')
    alice.execute(env.agent_jid, 'test/hello').expect_status('completed', what)
    bob = env.client('bob')
    r = bob.execute(env.agent_jid, 'test/confirm').expect_status('executing', what)
    bob.command(env.agent_jid, 'test/confirm', r.sessionid, 'cancel').expect_status('canceled', what)


def drop_clients(env):
    for c in list(env.clients.values()):
        c.xmpp.abort()
    env.clients.clear()
    if env._setup is not None:
        env._setup.xmpp.abort()
        env._setup = None


def restart(env, down_for=0.0):
    before = env.agent_jid
    mark = env.agent.log_mark()
    if down_for:
        drop_clients(env)
        env.prosody.kill(signal.SIGKILL)
        env.sleep(down_for)  # the agent retries meanwhile; it must not give up or exit
        env.agent.check_alive()
        env.prosody.start()
    else:
        env.restart_server(signal.SIGKILL)
    jid = env.agent.wait_online(since=mark, timeout=RECONNECT_TIMEOUT)
    H.log('agent back online as %s (was %s)' % (jid, before))
    return jid


def test_baseline(env):
    commands_work(env, 'before the restart')


def test_reconnect_after_kill(env):
    restart(env)
    commands_work(env, 'after Prosody was killed and restarted')


def test_reconnect_after_outage(env):
    restart(env, down_for=5)
    commands_work(env, 'after a 5 s outage')


def test_roster_fetched_at_connect(env):
    # Change carol's groups while the agent cannot reach the server: Prosody runs for a
    # moment on another port, where only the owner's client connects. Back on the
    # agent's port, the agent must learn the change from the roster it fetches.
    carol = env.client('carol')
    expect('test/admin' not in carol.commands(env.agent_jid), 'carol already sees test/admin')
    port = env.prosody.port
    drop_clients(env)
    env.prosody.kill(signal.SIGKILL)
    env.prosody.port = H.free_port()
    env.prosody.write_config()
    env.prosody.start()
    env.set_groups({'carol': ['admins']})
    drop_clients(env)
    env.prosody.kill(signal.SIGKILL)
    env.prosody.port = port
    env.prosody.write_config()
    mark = env.agent.log_mark()  # the agent cannot be online now: no server on its port
    env.prosody.start()
    env.agent.wait_online(since=mark, timeout=RECONNECT_TIMEOUT)
    carol = env.client('carol')
    got = carol.commands(env.agent_jid)
    expect('test/admin' in got, 'after the reconnect carol sees %s: the roster was not fetched' % sorted(got))
    carol.execute(env.agent_jid, 'test/admin').expect_status('completed', 'carol as admin')
    env.set_groups({'carol': []})
    env.wait_until(lambda: 'test/admin' not in carol.commands(env.agent_jid), 30,
                   'carol to lose test/admin', interval=0.3)


def test_silent_server(env):
    """A server that stops answering (SIGSTOP: the TCP connection stays up) is noticed by the
    XEP-0199 keepalive: no answer within ping_timeout, the agent reconnects."""
    env.agent.stop()
    env.agent.extra_account = ['ping_interval: 1s', 'ping_timeout: 2s']
    env.agent.write_config(H.STANDARD_POLICY)
    env.agent.start()
    drop_clients(env)
    mark = env.agent.log_mark()
    env.prosody.proc.send_signal(signal.SIGSTOP)
    try:
        env.agent.wait_log(r'did not answer a ping', since=mark, timeout=60)
    finally:
        env.prosody.proc.send_signal(signal.SIGCONT)
    env.agent.wait_online(since=mark, timeout=RECONNECT_TIMEOUT)
    commands_work(env, 'after a silent server')


def test_result_while_offline(env):
    """An action that finishes while the agent is disconnected is not lost: its outcome goes
    to the requester as a message once the agent is back."""
    alice = env.client('alice')
    el = alice.iq_element('set', alice.command_element('test/slow', 'execute'), env.agent_jid)
    mark = env.agent.log_mark()
    alice.send_iq_async(el, timeout=60)
    env.wait_agent_saw('test/slow', mark)
    drop_clients(env)
    env.prosody.kill(signal.SIGKILL)
    # The server stays down until the action has finished, so the iq cannot be answered.
    env.agent.wait_log(r'node=test/slow .*delivered later as a message', since=mark, timeout=60)
    env.prosody.start()
    env.agent.wait_online(since=mark, timeout=RECONNECT_TIMEOUT)
    alice = env.client('alice')
    m = alice.wait_message(lambda frm, typ, body, el: "'test/slow' finished while adhocd was "
                           "offline" in (body or ''), what='the outcome of test/slow')
    expect(m[0].startswith(env.jid('agent')) and 'Done' in (m[2] or '') or 'slow' in (m[2] or ''),
           'unexpected message %r' % (m,))


def test_single_agent_session(env):
    # After the reconnects exactly one agent resource is online (no leaked sessions).
    alice = env.client('alice')
    probe = alice.ping(env.agent_jid)
    probe.expect_result('ping to the agent after reconnects')
    expect(env.agent.running(), 'the agent is no longer running')


def own_hosts_file(env, text):
    """A command prefix that runs the agent with text as its /etc/hosts (a private mount
    namespace), or None where mount namespaces are not allowed."""
    path = os.path.join(env.dir, 'hosts')
    with open(path, 'w') as f:
        f.write(text)
    prefix = ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
              'mount --bind "$0" /etc/hosts && exec "$@"', path]
    ok = shutil.which('unshare') and subprocess.run(prefix + ['true'], capture_output=True).returncode == 0
    return prefix if ok else None


def test_server_found_by_name(env):
    """The server named by a host name: the lookup runs in a child process (agent/resolve.c),
    and each address is tried in turn. xmpp.test is ::1 first, where nothing listens (Prosody
    is on 127.0.0.1), then 127.0.0.1: the second is tried at once, without a backoff."""
    prefix = own_hosts_file(env, '::1 xmpp.test\n127.0.0.1 xmpp.test\n')
    # Without a namespace, localhost as this machine has it (perhaps ::1 first, perhaps not).
    want = ['::1', '127.0.0.1'] if prefix else [
        a[4][0] for a in socket.getaddrinfo('localhost', None, type=socket.SOCK_STREAM)]
    want = want[:want.index('127.0.0.1') + 1] if '127.0.0.1' in want else want
    env.agent.stop()
    env.agent.host = 'xmpp.test' if prefix else 'localhost'
    if not prefix:
        H.log('no mount namespace here: only the lookup of localhost is checked')
    env.agent.write_config(env.agent.policy)
    mark = env.agent.log_mark()
    env.agent.start(wait_online=False, prefix=prefix or ())
    try:
        env.agent.wait_online(since=mark, timeout=RECONNECT_TIMEOUT)
        log = env.agent.log_text()[mark:]
        tried = re.findall(r'Connecting to (\S+) port (\d+)', log)
        H.log('addresses tried: %r' % tried)
        expect([a for a, _ in tried] == want and all(p == str(env.prosody.port) for _, p in tried),
               'addresses tried %r, expected %r on port %d' % (tried, want, env.prosody.port))
        expect('Reconnecting in' not in log, 'the agent backed off instead of trying the next address')
        commands_work(env, 'with the server found by name')
    finally:
        env.agent.host = H.HOST
        if env.agent.running():
            env.agent.stop()
        env.agent.write_config(env.agent.policy)
        env.agent.start()


def test_login_failure_backs_off(env):
    """A refused login is not retried at once on the server's next address (that would
    multiply failed logins, and trip the server's limits): the agent backs off."""
    prefix = own_hosts_file(env, '127.0.0.1 xmpp.test\n127.0.0.2 xmpp.test\n')
    if not prefix:
        H.log('no mount namespace here: nothing to check')
        return
    env.agent.stop()
    env.agent.host = 'xmpp.test'
    env.agent.write_config(env.agent.policy)
    env.agent.write_password('not the password')
    mark = env.agent.log_mark()
    env.agent.start(wait_online=False, prefix=prefix)
    try:
        env.agent.wait_log(r'Reconnecting in', since=mark, timeout=30)
        log = env.agent.log_text()[mark:]
        tried = re.findall(r'Connecting to (\S+) port', log)
        expect(tried == ['127.0.0.1'], 'after a refused login the agent tried %r at once' % tried)
    finally:
        env.agent.host = H.HOST
        env.agent.write_password(env.prosody.passwords['agent'])
        if env.agent.running():
            env.agent.stop()
        env.agent.write_config(env.agent.policy)
        env.agent.start()


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_baseline,
        test_reconnect_after_kill,
        test_reconnect_after_outage,
        test_roster_fetched_at_connect,
        test_silent_server,
        test_result_while_offline,
        test_server_found_by_name,
        test_login_failure_backs_off,
        test_single_agent_session,
    ]))
