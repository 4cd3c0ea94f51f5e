#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""dbus: and dbus_expose: against real, widely used software that no one here wrote,
on a private session bus started by this test (issue 3):

  - mpv with the mpv-mpris plugin (Debian packages mpv, mpv-mpris), idling with no
    audio or video output. The agent sets its volume and drives it through MPRIS
    (OpenUri, PlayPause, Pause via dbus_expose); playerctl, an independent MPRIS client,
    checks every effect. The exposed commands disappear when mpv quits.
  - python-dbusmock's notification_daemon template: Notify, with an a{sv} of hints,
    checked through the mock's own record of its calls (org.freedesktop.DBus.Mock).

A part whose programs are missing is skipped with a message; with none of them the
script exits 77 (skipped). Waits poll with generous deadlines, never assert durations."""

import json
import os
import shutil
import subprocess
import sys

import dbusenv
import harness as H
from harness import expect

BUS = None
MPV = None

MPRIS_PLUGINS = ['/usr/lib/mpv-mpris/mpris.so', '/usr/lib/x86_64-linux-gnu/mpv/scripts/mpris.so',
                 '/etc/mpv/scripts/mpris.so']
MPV_NAME = 'org.mpris.MediaPlayer2.mpv'
# An endless tone from libavfilter: something to play without any file.
TONE = 'av://lavfi:sine=frequency=440:duration=3600'


def mpris_plugin():
    return next((p for p in MPRIS_PLUGINS if os.path.exists(p)), None)


def have_mpv():
    return bool(shutil.which('mpv') and shutil.which('playerctl') and mpris_plugin())


def have_dbusmock():
    return subprocess.run(['/usr/bin/python3', '-c', 'import dbusmock'], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


MPRIS = '''      bus: {bus}
      destination: org.mpris.MediaPlayer2.mpv
      path: /org/mpris/MediaPlayer2
      interface: org.mpris.MediaPlayer2.Player
'''

POLICY = '''
commands:
  - node: music/volume
    name: Set volume
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: level, label: "Volume (0-1)", validate: {{datatype: "xs:double", range: [0, 1]}}}}
    dbus:
{mpris}      set_property: {{name: Volume, value: "{{level}}"}}

  - node: music/status
    name: Playback status
    allow: {{groups: [flatmates]}}
    dbus:
{mpris}      get_property: PlaybackStatus

  - node: player
    name: Media player
    allow: {{groups: [flatmates]}}
    dbus_expose:
{mpris}      methods: [OpenUri, PlayPause, Pause, Stop, Seek]

  - node: notify
    name: Send a notification
    allow: {{groups: [flatmates]}}
    form:
      fields:
        - {{var: summary, label: Summary, required: true}}
        - {{var: body, label: Body}}
        - {{var: urgency, type: list-single, label: Urgency, options: ["0", "1", "2"]}}
    dbus:
      bus: {bus}
      destination: org.freedesktop.Notifications
      path: /org/freedesktop/Notifications
      interface: org.freedesktop.Notifications
      method: Notify
      args:
        - adhocd
        - "0"
        - ""
        - "{{summary}}"
        - "{{body}}"
        - []
        - {{urgency: {{type: y, value: "{{urgency}}"}}, x-adhocd-sender: {{type: s, value: "{{from_bare}}"}}}}
        - "-1"
'''


def policy(bus):
    address = json.dumps(bus.address)
    return POLICY.format(bus=address, mpris=MPRIS.format(bus=address))


def playerctl(*args):
    p = subprocess.run(['playerctl', '--player=mpv'] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, timeout=30,
                       env=BUS.env())
    return p.stdout.strip()


def wait_playerctl(env, want, *args):
    """Polls playerctl ARGS until it prints want; a timeout says what it printed last."""
    seen = []

    def check():
        seen.append(playerctl(*args))
        return seen[-1] == want
    try:
        env.wait_until(check, 30 * H._SLOW, 'playerctl %s to print %r' % (' '.join(args), want))
    except H.Failure as e:
        raise H.Failure('%s; it printed %r last' % (e, seen[-1] if seen else None))


def run_form(env, node, values):
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, node).expect_status('executing', 'execute %s' % node)
    return r, alice.command(env.agent_jid, node, r.sessionid, 'complete', values)


def player_nodes(env):
    return {n for n in env.client('alice').commands(env.agent_jid) if n.startswith('player/')}


def start_mpv(env):
    global MPV
    MPV = BUS.spawn(['mpv', '--idle', '--no-video', '--ao=null', '--no-config', '--no-terminal',
                     '--script=' + mpris_plugin()], 'mpv')
    env.wait_until(lambda: BUS.has_owner(MPV_NAME), 30 * H._SLOW, 'mpv to own %s' % MPV_NAME)
    H.log('mpv: running (pid %d)' % MPV.pid)


# --------------------------------------------------------------------------


def test_mpv_volume(env):
    if not have_mpv():
        H.log('skipped: mpv, mpv-mpris or playerctl is missing (tools/install-deps.sh)')
        return
    start_mpv(env)
    # playerctl sees it, at its initial volume. (Its idle status is not checked: mpv-mpris may
    # report an idle mpv as Playing or Stopped, depending on when its state settled.)
    wait_playerctl(env, '1.000000', 'volume')
    _, r = run_form(env, 'music/volume', {'level': '0.25'})
    r.expect_status('completed', 'music/volume')
    expect(not [t for ty, t in r.notes if ty == 'error'], 'error notes: %r' % r.notes, r)
    wait_playerctl(env, '0.250000', 'volume')
    # Out of range: refused by the form, and mpv keeps its volume.
    _, r = run_form(env, 'music/volume', {'level': '1.5'})
    r.expect_error('modify', 'bad-request', 'bad-payload', 'volume 1.5')
    expect(playerctl('volume') == '0.250000', 'the volume changed: %r' % playerctl('volume'))


def test_mpv_exposed_methods(env):
    if not have_mpv():
        H.log('skipped: mpv, mpv-mpris or playerctl is missing')
        return
    want = {'player/OpenUri', 'player/PlayPause', 'player/Pause', 'player/Stop', 'player/Seek'}
    env.wait_until(lambda: player_nodes(env) == want, 30 * H._SLOW,
                   "mpv's exposed methods %s in disco" % sorted(want))
    # OpenUri's form comes from mpv's introspection: one string argument.
    alice = env.client('alice')
    form = alice.execute(env.agent_jid, 'player/OpenUri').expect_status('executing', 'player/OpenUri')
    fields = [f for f in form.fields.values() if f.type != 'hidden']
    expect(len(fields) == 1 and fields[0].type == 'text-single', 'OpenUri form: %r' % fields, form)
    r = alice.command(env.agent_jid, 'player/OpenUri', form.sessionid, 'complete', {fields[0].var: TONE})
    r.expect_status('completed', 'player/OpenUri')
    expect(not [t for ty, t in r.notes if ty == 'error'], 'OpenUri error notes: %r' % r.notes, r)
    wait_playerctl(env, TONE, 'metadata', 'xesam:url')
    # A method without arguments: an empty form, then the call. (mpv-mpris may call a freshly
    # opened track Stopped until its pause state changes; PlayPause toggles that state.)
    _, r = run_form(env, 'player/PlayPause', {})
    r.expect_status('completed', 'player/PlayPause')
    wait_playerctl(env, 'Paused', 'status')
    _, r = run_form(env, 'player/PlayPause', {})
    r.expect_status('completed', 'player/PlayPause again')
    wait_playerctl(env, 'Playing', 'status')
    _, r = run_form(env, 'player/Pause', {})
    r.expect_status('completed', 'player/Pause')
    wait_playerctl(env, 'Paused', 'status')
    # Read back through a dbus: get_property command.
    r = alice.execute(env.agent_jid, 'music/status').expect_status('completed', 'music/status')
    f = r.fields.get('PlaybackStatus')
    expect(f is not None and f.values == ['Paused'], 'PlaybackStatus %r' % (f and f.values), r)
    # MPRIS has Next, Play, SetPosition...: not listed, not offered, not callable.
    for node in ('player/Next', 'player/Play', 'player/SetPosition'):
        alice.execute(env.agent_jid, node).expect_error('cancel', 'item-not-found', what=node)
    expect(playerctl('status') == 'Paused', 'mpv was driven by an unlisted method: %r' % playerctl('status'))


def test_mpv_quits(env):
    if not have_mpv() or MPV is None:
        H.log('skipped: mpv is not running')
        return
    MPV.terminate()
    MPV.wait(timeout=30)
    env.wait_until(lambda: not player_nodes(env), 30 * H._SLOW, "mpv's commands to leave disco")
    r = env.client('alice').execute(env.agent_jid, 'music/status').expect_status('completed', 'status, no mpv')
    errs = [t for ty, t in r.notes if ty == 'error']
    expect(any('org.mpris.MediaPlayer2.mpv is not running' in t for t in errs), 'notes %r' % r.notes, r)


def test_dbusmock_notification(env):
    if not have_dbusmock():
        H.log('skipped: python3-dbusmock is missing')
        return
    BUS.spawn(['/usr/bin/python3', '-m', 'dbusmock', '--template', 'notification_daemon'], 'dbusmock')
    env.wait_until(lambda: BUS.has_owner('org.freedesktop.Notifications'), 30 * H._SLOW,
                   'dbusmock to own org.freedesktop.Notifications')
    _, r = run_form(env, 'notify', {'summary': 'Door bell', 'body': 'Someone is at the door', 'urgency': '2'})
    r.expect_status('completed', 'notify')
    expect(not [t for ty, t in r.notes if ty == 'error'], 'error notes: %r' % r.notes, r)
    ids = [f.values for f in r.fields.values() if f.values]
    expect(ids and ids[0][0].isdigit(), 'Notify returns an id: %r' % r.fields, r)
    calls = BUS.send('org.freedesktop.Notifications', '/org/freedesktop/Notifications',
                     'org.freedesktop.DBus.Mock.GetCalls')
    flat = ' '.join(calls.split())
    for part in ('string "Notify"', 'string "adhocd"', 'string "Door bell"', 'string "Someone is at the door"',
                 'string "urgency" variant byte 2', 'string "x-adhocd-sender" variant string "alice@example.test"',
                 'variant int32 -1'):
        expect(part in flat, "the mock's record of Notify lacks %r:\n%s" % (part, calls))


if __name__ == '__main__':
    if not dbusenv.shutil.which('dbus-daemon') or not dbusenv.shutil.which('dbus-send'):
        print('dbus-daemon and dbus-send are needed (tools/install-deps.sh)')
        sys.exit(77)
    if not have_mpv() and not have_dbusmock():
        print('neither mpv with mpv-mpris and playerctl nor python3-dbusmock is installed '
              '(tools/install-deps.sh); skipped')
        sys.exit(77)
    BUS = dbusenv.PrivateBus()
    rc = 1
    try:
        BUS.start()
        rc = H.main(__file__, [
            test_mpv_volume,
            test_mpv_exposed_methods,
            test_mpv_quits,
            test_dbusmock_notification,
        ], policy=policy(BUS))
    finally:
        BUS.close(keep=rc != 0)
    sys.exit(rc)
