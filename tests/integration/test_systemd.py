#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Running under systemd: with Type=notify the agent sends READY=1 once online
and STATUS= lines (and RELOADING=1/READY=1 around a reload, STOPPING=1 when
stopping); with WATCHDOG_USEC (WatchdogSec=) it sends WATCHDOG=1 keep-alives, and none
without; with JOURNAL_STREAM its log lines carry sd-daemon <N> prefixes."""

import os
import re
import secrets
import signal
import socket
import sys
import time

import harness as H
from harness import expect


class NotifySocket:
    """A stand-in for systemd's notification socket (abstract, so no path limits)."""

    def __init__(self):
        self.name = 'adhocd-test-' + secrets.token_hex(8)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind('\0' + self.name)
        self.sock.setblocking(False)
        self.messages = []

    @property
    def env(self):
        return {'NOTIFY_SOCKET': '@' + self.name}

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return self.messages
            self.messages.append(data.decode('utf-8', 'replace'))

    def assignments(self):
        return [line for m in self.drain() for line in m.split('\n') if line]

    def wait(self, env, pred, what, timeout=30):
        return env.wait_until(lambda: any(pred(a) for a in self.assignments()), timeout, what, interval=0.1)

    def close(self):
        self.sock.close()


def restart_agent(env, extra_env):
    if env.agent.running():
        env.agent.stop()
    mark = env.agent.log_mark()
    env.agent.start(wait_online=False, extra_env=extra_env)
    env.agent.wait_online(since=mark)
    return mark


def test_notify(env):
    n = NotifySocket()
    try:
        restart_agent(env, n.env)
        n.wait(env, lambda a: a == 'READY=1', 'READY=1 after "online as"')
        n.wait(env, lambda a: a.startswith('STATUS='), 'a STATUS= line')
        env.client('alice').execute(env.agent_jid, 'test/hello').expect_status('completed', 'under Type=notify')
        n.messages.clear()
        env.agent.send_signal(signal.SIGHUP)
        n.wait(env, lambda a: a == 'RELOADING=1', 'RELOADING=1 on SIGHUP')
        n.wait(env, lambda a: a == 'READY=1', 'READY=1 after the reload')
        n.messages.clear()
        env.agent.stop()
        expect('STOPPING=1' in n.assignments(), 'no STOPPING=1 on SIGTERM: %r' % n.messages)
    finally:
        n.close()


def watchdog_pings(env, extra_env, seconds):
    """WATCHDOG=1 datagrams counted for `seconds` after READY=1."""
    n = NotifySocket()
    try:
        restart_agent(env, dict(n.env, **extra_env))
        n.wait(env, lambda a: a == 'READY=1', 'READY=1')
        n.messages.clear()
        time.sleep(seconds)
        return n.assignments().count('WATCHDOG=1')
    finally:
        env.agent.stop()
        n.close()


def test_watchdog(env):
    # WatchdogSec=400ms as systemd passes it. WATCHDOG_PID is left unset: under a wrapper
    # (ADHOCD_WRAPPER) the agent's pid is not the one this script started.
    pings = watchdog_pings(env, {'WATCHDOG_USEC': '400000'}, 2.0)
    # sd-event sends one every 100-200 ms for a 400 ms period: about 10 in 2 s.
    expect(pings >= 5, 'only %d WATCHDOG=1 in 2 s with WATCHDOG_USEC=400000' % pings)
    pings = watchdog_pings(env, {}, 1.5)
    expect(pings == 0, '%d WATCHDOG=1 without WATCHDOG_USEC' % pings)


def test_journal_prefixes(env):
    # JOURNAL_STREAM names the device and inode of stderr, as systemd sets it.
    open(env.agent.log_path, 'ab').close()
    st = os.stat(env.agent.log_path)
    mark = restart_agent(env, {'JOURNAL_STREAM': '%d:%d' % (st.st_dev, st.st_ino)})
    # Lines of a wrapper such as valgrind ("==PID== ...") are not the agent's.
    lines = [l for l in env.agent.log_text()[mark:].splitlines()
             if l and not re.match(r'^==\d+==', l)]
    expect(lines, 'the agent logged nothing')
    bad = [l for l in lines if not re.match(r'^<[0-7]>', l)]
    expect(not bad, 'log lines without a <N> prefix under JOURNAL_STREAM:\n' + '\n'.join(bad[:10]))
    env.agent.stop()


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_notify,
        test_watchdog,
        test_journal_prefixes,
    ]))
