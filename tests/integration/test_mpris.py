#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The media remote end to end (issue 5): a real Prosody, the real agent with
plugins: {mpris: ...}, slixmpp as the phone, and fake MPRIS players
(tests/mpris/fake-player) on a private dbus-daemon started by this test. What the
players really do is read with dbus-send, independently of the agent.

Proved here: the generated commands and who sees them; the quick commands work with a
single execute, as Profanity's /cmd exec does; the remote (node mpris) picks a player
by an opaque id, then stays open with status=executing after each action and shows the
refreshed state; a forged player value, an action outside actions: and a volume out of
range are bad-payload with nothing done; a missing capability is a clear note; a second
player appears and disappears during a session; the last player quitting ends the
session with a note. Real software (mpv) is in test_mpris_mpv.py.

Waits poll with generous deadlines; the tests look at outcomes, never at durations."""

import json
import signal
import sys

import dbusenv
import harness as H
import mprisenv as M
from harness import expect

BUS = None
PLAYERS = {}

POLICY = '''
sessions: {{max_per_requester: 20, rate_per_minute: 1000}}

plugins:
  mpris:
    allow: {{groups: [flatmates]}}
    bus: {bus}
    players: ["fake*"]
    actions: [play-pause, next, previous, volume]
    timeout: 5s
'''

QUICK = {'mpris/play-pause', 'mpris/next', 'mpris/previous', 'mpris/volume-up', 'mpris/volume-down',
         'mpris/now-playing'}


def start(suffix, identity, *options):
    PLAYERS[suffix] = M.FakePlayer(BUS, suffix, identity, *options)
    return PLAYERS[suffix]


def quick(env, node):
    """One execute, nothing more: what a client that only runs single-stage commands does."""
    r = env.client('alice').execute(env.agent_jid, node).expect_status('completed', node)
    expect(r.actions is None, '%s: a completed command carries <actions/>' % node, r)
    return r


def open_remote(env, label=None):
    """A remote session; with several players, label picks one. Returns the remote's stage."""
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'mpris').expect_status('executing', 'execute mpris')
    expect(r.actions == ('next', ['next', 'complete']),
           'a live command offers next (default) and complete, got %r' % (r.actions,), r)
    if r.fields.get('player') is not None and r.fields['player'].type == 'list-single':
        pid = M.option_for(r, 'player', label)
        r = alice.command(env.agent_jid, 'mpris', r.sessionid, 'next', {'player': pid})
        r.expect_status('executing', 'pick %s' % label)
    return r


def act(env, r, action, values=None, verb='next'):
    v = {'action': action}
    v.update(values or {})
    return env.client('alice').command(env.agent_jid, 'mpris', r.sessionid, verb, v)


# --------------------------------------------------------------------------


def test_commands_and_access(env):
    alice = set(env.client('alice').commands(env.agent_jid))
    expect(QUICK | {'mpris'} <= alice, 'alice (flatmates) sees %r' % sorted(alice))
    # Only what actions: allows is generated.
    expect('mpris/stop' not in alice, 'mpris/stop is offered though stop is not in actions:')
    names = env.client('alice').commands(env.agent_jid)
    expect(names.get('mpris') == 'Media remote', 'names %r' % names)
    bob = env.client('bob')
    expect(not [n for n in bob.commands(env.agent_jid) if n.startswith('mpris')],
           'bob (not a flatmate) sees the media remote')
    bob.execute(env.agent_jid, 'mpris/play-pause').expect_error('cancel', 'item-not-found', what='bob')
    env.client('alice').execute(env.agent_jid, 'mpris/stop').expect_error(
        'cancel', 'item-not-found', what='mpris/stop (not in actions:)')


def test_no_player(env):
    r = quick(env, 'mpris/play-pause')
    expect(M.notes_of(r) == ['No media player is running.'], 'notes %r' % r.notes, r)
    expect(M.notes_of(r, 'error'), 'the note is not an error note: %r' % r.notes, r)
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'mpris').expect_status('executing', 'mpris without a player')
    expect('No media player is running.' in [f.value for f in r.fields.values()], 'form %r' % r.fields, r)
    r2 = alice.command(env.agent_jid, 'mpris', r.sessionid, 'next', {})
    r2.expect_status('completed', 'next without a player ends the session')
    expect(M.notes_of(r2) == ['No media player is running.'], 'notes %r' % r2.notes, r2)


def test_quick_commands(env):
    a = start('fake1', 'Fake One')
    M.wait_players(env, 'alice', 1)
    r = quick(env, 'mpris/play-pause')
    expect(M.notes_of(r, 'info') == ['Fake One: Playing · Track 1 — Fake Artist, Guest'], 'notes %r' % r.notes, r)
    expect(a.status() == 'Playing', 'the player says %r' % a.status())
    r = quick(env, 'mpris/next')
    expect('Track 2' in r.note_text(), 'notes %r' % r.notes, r)
    expect(a.title() == 'Track 2', 'the player plays %r' % a.title())
    r = quick(env, 'mpris/previous')
    expect(a.title() == 'Track 1', 'the player plays %r' % a.title())
    r = quick(env, 'mpris/volume-up')
    expect(M.notes_of(r) == ['Fake One: volume 60 %'], 'notes %r' % r.notes, r)
    expect(abs(a.volume() - 0.6) < 1e-6, 'the player volume is %r' % a.volume())
    r = quick(env, 'mpris/volume-down')
    expect(abs(a.volume() - 0.5) < 1e-6, 'the player volume is %r' % a.volume())
    r = quick(env, 'mpris/now-playing')
    expect(r.form_type == 'result', 'now-playing has no result form', r)
    expect(r.fields.get('title') is not None and r.fields['title'].values == ['Track 1'], 'fields %r' % r.fields, r)
    r = quick(env, 'mpris/play-pause')
    expect(a.status() == 'Paused', 'the player says %r' % a.status())


def test_remote_stays_open(env):
    b = start('fake2', 'Fake Two')
    M.wait_players(env, 'alice', 2)
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'mpris').expect_status('executing', 'execute mpris')
    f = r.fields['player']
    expect(f.type == 'list-single' and len(f.options) == 2, 'player choice %r' % f.options, r)
    # Opaque ids: never a bus name.
    expect(not [v for _, v in f.options if '.' in v or ':' in v], 'option values %r' % f.options, r)
    # Fake One played last: preselected.
    expect(f.value == M.option_for(r, 'player', 'Fake One'), 'preselected %r' % f.value, r)
    sid = r.sessionid
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': M.option_for(r, 'player', 'Fake Two')})
    r.expect_status('executing', 'pick Fake Two')
    expect(r.form_title == 'Fake Two', 'remote title %r' % r.form_title, r)
    expect(r.fields['player'].type == 'hidden', 'the chosen player is not a hidden field', r)
    expect(M.fixed(r, 'Now playing') == 'Track 1 — Fake Artist, Guest', 'now playing %r' % M.fixed(r, 'Now playing'), r)
    expect((M.fixed(r, 'Status') or '').startswith('Paused'), 'status %r' % M.fixed(r, 'Status'), r)
    expect(M.fixed(r, 'Volume') == '50 %', 'volume %r' % M.fixed(r, 'Volume'), r)
    expect(r.fields['action'].value == 'play-pause', 'default action %r' % r.fields['action'].value, r)
    v = r.fields['volume'].validate
    expect(v is not None and v.get('datatype') == 'xs:integer', 'volume has no integer validation', r)

    # Each action: status executing, the action's note, the refreshed state.
    for _ in range(2):
        before = b.status()
        r = act(env, r, 'play-pause').expect_status('executing', 'play-pause in the remote')
        expect(r.sessionid == sid, 'the session changed', r)
        expect(r.actions == ('next', ['next', 'complete']), 'actions %r' % (r.actions,), r)
        after = b.status()
        expect(after != before and after in ('Playing', 'Paused'), 'the player went %s -> %s' % (before, after))
        expect((M.fixed(r, 'Status') or '').startswith(after), 'refreshed status %r' % M.fixed(r, 'Status'), r)
        expect(M.notes_of(r, 'info') and M.notes_of(r, 'info')[0].startswith('Fake Two: %s' % after),
               'notes %r' % r.notes, r)
    r = act(env, r, 'next').expect_status('executing', 'next in the remote')
    expect(b.title() == 'Track 2' and PLAYERS['fake1'].title() == 'Track 1', 'next reached the wrong player')
    expect(M.fixed(r, 'Now playing').startswith('Track 2'), 'refreshed %r' % M.fixed(r, 'Now playing'), r)
    expect(r.fields['action'].value == 'next', 'the last action is not preselected', r)
    r = act(env, r, 'volume', {'volume': '35'}).expect_status('executing', 'set volume')
    expect(abs(b.volume() - 0.35) < 1e-6, 'the player volume is %r' % b.volume())
    expect(M.fixed(r, 'Volume') == '35 %', 'refreshed volume %r' % M.fixed(r, 'Volume'), r)
    # complete: the last action, and the session ends.
    r = act(env, r, 'previous', verb='complete').expect_status('completed', 'complete')
    expect(b.title() == 'Track 1', 'the player plays %r' % b.title())
    expect('Fake Two: ' in r.note_text(), 'notes %r' % r.notes, r)
    e = alice.command(env.agent_jid, 'mpris', sid, 'next', {'action': 'next'})
    expect(e.type == 'error', 'the session goes on after complete', e)


def test_reload_keeps_remote(env):
    # A reload restarts the plugin, which finds the same players under the same ids: an open
    # remote goes on.
    r = open_remote(env, 'Fake One')
    mark = env.agent.log_mark()
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(r'Configuration reloaded', since=mark)
    M.wait_players(env, 'alice', 2)
    r = act(env, r, 'next').expect_status('executing', 'the remote after a reload')
    expect(M.notes_of(r, 'info') and M.notes_of(r, 'info')[0].startswith('Fake One: '), 'notes %r' % r.notes, r)
    expect(PLAYERS['fake1'].title() == 'Track 2', 'the player plays %r' % PLAYERS['fake1'].title())
    r = act(env, r, 'previous', verb='complete').expect_status('completed', 'complete after a reload')
    expect(PLAYERS['fake1'].title() == 'Track 1', 'the player plays %r' % PLAYERS['fake1'].title())


def test_remote_in_french(env):
    """A French requester (xml:lang='fr' on the iq) gets the agent's own labels, titles and
    notes in French; the player's own texts (identity, title) stay as they are. English or
    another language gets English."""
    alice = env.client('alice')
    names = alice.commands(env.agent_jid, lang='fr')
    expect(names.get('mpris') == 'Télécommande' and names.get('mpris/next') == 'Piste suivante',
           'French names %r' % names)
    for lang in ('en', 'de'):
        names = alice.commands(env.agent_jid, lang=lang)
        expect(names.get('mpris') == 'Media remote', '%s: names %r' % (lang, names))

    r = alice.execute(env.agent_jid, 'mpris', lang='fr').expect_status('executing', 'mpris in French')
    expect(r.lang == 'fr', 'xml:lang=%r' % r.lang, r)
    expect(r.form_title == 'Télécommande', 'picker title %r' % r.form_title, r)
    f = r.fields['player']
    expect(f.label == 'Lecteur', 'picker label %r' % f.label, r)
    expect(any(label == 'Fake One · En pause' or label == 'Fake One · Lecture en cours'
               for label, _ in f.options), 'player options %r' % f.options, r)
    sid = r.sessionid
    # Without xml:lang (the stream's "en" arrives): the session stays French.
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': M.option_for(r, 'player', 'Fake One')})
    r.expect_status('executing', 'pick Fake One in French')
    expect(r.form_title == 'Fake One', 'the player\'s own name is kept: %r' % r.form_title, r)
    expect(M.fixed(r, 'En cours de lecture') == 'Track 1 — Fake Artist, Guest',
           'fixed fields %r' % r.fields, r)
    expect((M.fixed(r, 'État') or '').split(' · ')[0] in ('En pause', 'Lecture en cours'),
           'status %r' % M.fixed(r, 'État'), r)
    expect(M.fixed(r, 'Volume') is not None, 'no fixed Volume in %r' % r.fields, r)
    a = r.fields['action']
    expect(a.label == 'Action', 'action label %r' % a.label, r)
    labels = dict((v, l) for l, v in a.options)
    expect(labels.get('play-pause') == 'Lecture/Pause' and labels.get('next') == 'Suivant'
           and labels.get('volume') == 'Régler le volume', 'action options %r' % a.options, r)
    expect(r.fields['volume'].label == 'Volume (%)', 'volume label %r' % r.fields['volume'].label, r)
    # A refused value: bad-payload, the note in French naming the field.
    e = alice.command(env.agent_jid, 'mpris', sid, 'next', {'action': 'volume', 'volume': '150'})
    e.expect_error('modify', 'bad-request', 'bad-payload', 'volume 150 in French')
    expect(M.notes_of(e, 'error') == ['Volume (%) : 150 est supérieur au maximum 100'],
           'notes %r' % e.notes, e)
    expect(e.error[3] == 'Volume (%) : 150 est supérieur au maximum 100', 'error text %r' % (e.error[3],), e)
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'action': 'volume', 'volume': '40'})
    r.expect_status('executing', 'set the volume in French')
    expect(M.notes_of(r, 'info') == ['Fake One : volume 40 %'], 'notes %r' % r.notes, r)
    alice.command(env.agent_jid, 'mpris', sid, 'cancel').expect_status('canceled')

    # The same from an English and an unknown-language requester: English.
    for lang in ('en', 'de'):
        r = open_remote(env, 'Fake One') if lang == 'en' else None
        if r is None:
            r = alice.execute(env.agent_jid, 'mpris', lang=lang).expect_status('executing', lang)
            expect(r.form_title == 'Media remote' and r.fields['player'].label == 'Player',
                   '%s: picker %r %r' % (lang, r.form_title, r.fields), r)
            r = alice.command(env.agent_jid, 'mpris', r.sessionid, 'next',
                              {'player': M.option_for(r, 'player', 'Fake One')})
            r.expect_status('executing', '%s: pick Fake One' % lang)
        expect(M.fixed(r, 'Now playing') is not None and r.fields['action'].label == 'Action',
               '%s: remote %r' % (lang, r.fields), r)
        e = act(env, r, 'volume', {'volume': '150'})
        e.expect_error('modify', 'bad-request', 'bad-payload', '%s: volume 150' % lang)
        expect(M.notes_of(e, 'error') == ['Volume (%): 150 is above the maximum 100'],
               '%s: notes %r' % (lang, e.notes), e)
        alice.command(env.agent_jid, 'mpris', r.sessionid, 'cancel').expect_status('canceled')


def test_forged_input(env):
    alice = env.client('alice')
    a = PLAYERS['fake1']
    r = alice.execute(env.agent_jid, 'mpris').expect_status('executing', 'execute mpris')
    sid = r.sessionid
    # A bus name, or an id never offered: refused, nothing done.
    for forged in (a.name, 'p999999', ':1.1'):
        e = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': forged})
        e.expect_error('modify', 'bad-request', 'bad-payload', 'player %r' % forged)
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': M.option_for(r, 'player', 'Fake One')})
    r.expect_status('executing', 'pick Fake One')
    status, title, volume = a.status(), a.title(), a.volume()
    # Actions outside actions: (stop, seek), an unknown one, a volume out of range.
    for values in ({'action': 'stop'}, {'action': 'seek-forward'}, {'action': 'dance'},
                   {'action': 'volume', 'volume': '150'}, {'action': 'volume', 'volume': '-5'},
                   {'action': 'volume', 'volume': 'loud'}):
        e = alice.command(env.agent_jid, 'mpris', sid, 'next', values)
        e.expect_error('modify', 'bad-request', 'bad-payload', 'forged %r' % values)
    # The hidden player cannot be switched by sending another one.
    r2 = alice.command(env.agent_jid, 'mpris', sid, 'next', {'action': 'volume-up', 'player': 'p424242'})
    r2.expect_status('executing', 'volume-up with a forged hidden player')
    expect(r2.form_title == 'Fake One', 'the remote switched to %r' % r2.form_title, r2)
    expect((a.status(), a.title()) == (status, title), 'the player changed: %s %s' % (a.status(), a.title()))
    expect(abs(a.volume() - min(volume + 0.1, 1.0)) < 1e-6, 'volume %r (was %r)' % (a.volume(), volume))
    alice.command(env.agent_jid, 'mpris', sid, 'cancel').expect_status('canceled')


def test_capability_missing(env):
    start('fake3', 'Stuck', '--no', 'next')
    M.wait_players(env, 'alice', 3)
    r = open_remote(env, 'Stuck')
    r = act(env, r, 'next').expect_status('executing', 'next on Stuck')
    expect(M.notes_of(r, 'error') == ['Stuck cannot skip to the next track (CanGoNext is false).'],
           'notes %r' % r.notes, r)
    expect(PLAYERS['fake3'].title() == 'Track 1', 'Next was called anyway')
    env.client('alice').command(env.agent_jid, 'mpris', r.sessionid, 'cancel').expect_status('canceled')
    PLAYERS.pop('fake3').quit()
    M.wait_players(env, 'alice', 2)


def test_player_appears_and_quits(env):
    alice = env.client('alice')
    r = open_remote(env, 'Fake One')
    sid = r.sessionid
    # A second... third player appears during the session: offered when choosing again.
    start('fake4', 'Late One')
    M.wait_players(env, 'alice', 3)
    r = act(env, r, 'players').expect_status('executing', 'other player')
    f = r.fields['player']
    expect(f.type == 'list-single' and len(f.options) == 3, 'choice %r' % f.options, r)
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': M.option_for(r, 'player', 'Late One')})
    r.expect_status('executing', 'pick Late One')
    expect(r.form_title == 'Late One', 'title %r' % r.form_title, r)
    # It quits: the next action says so, and the remaining players are offered.
    PLAYERS.pop('fake4').quit()
    M.wait_players(env, 'alice', 2)
    r = act(env, r, 'play-pause').expect_status('executing', 'action after the player quit')
    expect(M.notes_of(r, 'error') == ['Late One has quit.'], 'notes %r' % r.notes, r)
    f = r.fields.get('player')
    expect(f is not None and f.type == 'list-single' and len(f.options) == 2, 'choice %r' % r.fields, r)
    r = alice.command(env.agent_jid, 'mpris', sid, 'next', {'player': M.option_for(r, 'player', 'Fake One')})
    r.expect_status('executing', 'pick Fake One')
    # Every player quits: the session ends with the note.
    for k in list(PLAYERS):
        PLAYERS.pop(k).quit()
    M.wait_players(env, 'alice', 0)
    r = act(env, r, 'play-pause').expect_status('completed', 'action after every player quit')
    expect(M.notes_of(r, 'error') == ['Fake One has quit. No other player is running.'], 'notes %r' % r.notes, r)


if __name__ == '__main__':
    if not dbusenv.shutil.which('dbus-daemon') or not dbusenv.shutil.which('dbus-send'):
        print('dbus-daemon and dbus-send are needed (tools/install-deps.sh)')
        sys.exit(77)
    BUS = dbusenv.PrivateBus()
    rc = 1
    try:
        BUS.start()
        rc = H.main(__file__, [
            test_commands_and_access,
            test_no_player,
            test_quick_commands,
            test_remote_stays_open,
            test_reload_keeps_remote,
            test_remote_in_french,
            test_forged_input,
            test_capability_missing,
            test_player_appears_and_quits,
        ], policy=POLICY.format(bus=json.dumps(BUS.address)))
    finally:
        for p in PLAYERS.values():
            p.quit()
        BUS.close(keep=rc != 0)
    sys.exit(rc)
