# SPDX-License-Identifier: MIT
"""Helpers for the media remote's integration tests (plugins: {mpris: ...}): fake MPRIS
players (build/tests/mpris/fake-player) on a dbusenv.PrivateBus, the players' real state
read with dbus-send, and the remote driven through XMPP like a phone would."""

import os
import re
import subprocess

import dbusenv
import harness as H
from harness import expect

PREFIX = 'org.mpris.MediaPlayer2.'
PATH = '/org/mpris/MediaPlayer2'
PLAYER = 'org.mpris.MediaPlayer2.Player'
WAIT = 30 * H._SLOW


def default_fake_player():
    """Next to the agent under test: build/tests/mpris/fake-player."""
    if os.environ.get('ADHOCD_FAKE_PLAYER'):
        return os.environ['ADHOCD_FAKE_PLAYER']
    agent = os.environ.get('ADHOCD_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')
    return os.path.join(os.path.dirname(os.path.abspath(agent)), 'tests', 'mpris', 'fake-player')


class FakePlayer:
    """One fake player, org.mpris.MediaPlayer2.<suffix>, with the fake's options."""

    def __init__(self, bus, suffix, identity, *options):
        self.bus = bus
        self.name = PREFIX + suffix
        self.identity = identity
        binary = default_fake_player()
        expect(os.path.exists(binary), 'the fake player %s does not exist (build it first)' % binary)
        log = open(os.path.join(bus.dir, 'fake-%s.log' % suffix), 'ab')
        try:
            self.proc = subprocess.Popen(
                [binary, '--address', bus.address, '--name', suffix, '--identity', identity] + list(options),
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                preexec_fn=lambda: H._child_setup(False))
        finally:
            log.close()
        line = dbusenv._read_line(self.proc, H.START_TIMEOUT, 'fake-player to print READY')
        expect(line == 'READY', 'fake-player printed %r, expected READY' % line)
        H.log('mpris: fake player %s (%s) running, pid %d' % (self.name, identity, self.proc.pid))

    def quit(self):
        dbusenv._stop(self.proc)
        H.log('mpris: fake player %s stopped' % self.name)

    # ---- what the player really does, seen with dbus-send

    def prop(self, name):
        return self.bus.get_property(self.name, PATH, PLAYER, name)

    def status(self):
        return self.prop('PlaybackStatus').replace('string ', '').strip('"')

    def volume(self):
        return float(self.prop('Volume').split()[1])

    def title(self):
        m = re.search(r'string "xesam:title" variant string "([^"]*)"', self.prop('Metadata'))
        return m.group(1) if m else None


def notes_of(r, kind=None):
    return [t for ty, t in r.notes if kind is None or ty == kind]


def option_for(r, var, label_prefix):
    """The value of the option of var whose label starts with label_prefix."""
    f = r.fields.get(var)
    expect(f is not None, 'no field %s in the form' % var, r)
    for label, value in f.options:
        if (label or '').startswith(label_prefix):
            return value
    raise H.Failure('no option labelled %r... in %s: %r' % (label_prefix, var, f.options))


def fixed(r, label):
    """The text of the fixed field labelled label (None when absent)."""
    for f in r.fields.values():
        if f.type == 'fixed' and f.label == label:
            return f.value
    return None


def wait_players(env, user, n, what=None):
    """Waits until a new session's first form offers n players (0: says none runs), and
    returns nothing: the session is cancelled."""
    c = env.client(user)

    def count():
        r = c.execute(env.agent_jid, 'mpris').expect_status('executing', 'execute mpris')
        c.command(env.agent_jid, 'mpris', r.sessionid, 'cancel')
        f = r.fields.get('player')
        if f is not None and f.type == 'list-single':
            got = len(f.options)
        elif f is not None and f.type == 'hidden':
            got = 1
        else:
            got = 0
        return got == n
    env.wait_until(count, WAIT, what or 'the agent to offer %d player(s)' % n, interval=0.3)
