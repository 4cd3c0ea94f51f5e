#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Monitoring through presence (issue 7), end to end, with the probes reading a
fake /proc tree that the test rewrites:

- a subscribed contact receives the agent's presence with the show the rules
  give and one <status xml:lang> per language;
- nothing is sent while nothing changes, even with a short min_update;
- with min_update: 1h, a text-only change is held back but a show change goes
  out at once (and carries the new text): that is what "prompt" means;
- headline alerts reach each online resource of the alerts.to access list
  (named, resolved by the policy), recovery follows, max_per_hour holds;
- presence/set-status works for the presence.control list (a named access
  list), shows what is published, sets and clears a manual status, and is
  invisible to everyone else; a French requester gets its form and notes in
  French (alerts, sent to a group, stay English);
- XEP-0012 last activity answers with the agent's uptime.

Nothing here measures time: every wait polls with a generous deadline."""

import os
import re
import signal
import sys
import xml.etree.ElementTree as ET

import harness as H
from harness import expect

NS = H.NS_CLIENT
NS_LAST = 'jabber:iq:last'
NODE = 'presence/set-status'
SLOW = 3 if os.environ.get('ADHOCD_WRAPPER') else 1
DEADLINE = 30 * SLOW
# Long enough for several probe runs (interval: 1s), even when the agent is slow.
QUIET = 4 * SLOW
MAX_PER_HOUR = 3

PRESENCE = '''
access:
  oncall: {{groups: [admins]}}
  operators: {{groups: [admins]}}
presence:
  interval: 1s
  min_update: {min_update}
  root: {root}
  status: {{en: "load {{load1}} · mem {{mem_used_pct}}%", fr: "charge {{load1}} · mém {{mem_used_pct}} %"}}
  probes: {{builtin: [load, memory]}}
  show:
    - {{when: "load1 >= 4", show: dnd}}
    - {{when: "mem_used_pct >= 90", show: away}}
  alerts: {{to: oncall, max_per_hour: {max_per_hour}}}
  control: operators
'''

STATE = {}


def policy(min_update):
    return H.STANDARD_POLICY + PRESENCE.format(root=STATE['root'], min_update=min_update,
                                               max_per_hour=MAX_PER_HOUR)


def write_proc(name, text):
    path = os.path.join(STATE['root'], 'proc', name)
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)  # the agent never reads half a file


def set_load(load1):
    write_proc('loadavg', '%s 0.50 0.40 1/100 4242\n' % load1)


def set_mem(available_kb):
    write_proc('meminfo', 'MemTotal: 1000000 kB\nMemAvailable: %d kB\n' % available_kb)


def agent_presences(env, client):
    """(show or None, {lang: status}) of each available presence from the agent's resource."""
    out = []
    for frm, _ptype, xml in client.presences:
        if frm != env.agent_jid or xml.get('type') not in (None, 'available'):
            continue
        show = xml.findtext('{%s}show' % NS)
        statuses = {s.get(H.XML_LANG): s.text or '' for s in xml.findall('{%s}status' % NS)}
        out.append((show, statuses))
    return out


def wait_agent_presence(env, client, pred, what, since=0):
    """Waits until the latest presence of the agent (among those after index since) matches."""
    def found():
        ps = agent_presences(env, client)[since:]
        return ps[-1] if ps and pred(*ps[-1]) else None
    return env.wait_until(found, DEADLINE, what, interval=0.2)


def bob_resources(env):
    return [env.client('bob'), env.client('bob', resource='second')]


def headlines(client):
    """Bodies of the headline messages the agent sent to this client."""
    return [body for frm, mtype, body, _ in client.messages
            if mtype == 'headline' and (frm or '').split('/')[0] == STATE['agent_bare']]


def wait_headline(env, client, part, what):
    return env.wait_until(lambda: [b for b in headlines(client) if part in b], DEADLINE,
                          '%s for %s' % (what, client.jid), interval=0.2)


def test_start(env):
    root = os.path.join(env.dir, 'fakeroot')
    os.makedirs(os.path.join(root, 'proc'), exist_ok=True)
    STATE['root'] = root
    set_load('0.52')
    set_mem(600000)
    # bob (admins, in the oncall list) is online on two resources from the start.
    bob_resources(env)
    env.start_agent(policy('2s'))
    STATE['agent_bare'] = env.agent.bare


def test_subscriber_sees_status(env):
    alice = env.client('alice')
    show, statuses = wait_agent_presence(env, alice, lambda show, st: st.get('en', '').startswith('load 0.52'),
                                         'the agent presence with its status')
    expect(show is None, 'show %r, expected none (available)' % show)
    expect(statuses == {'en': 'load 0.52 · mem 40%', 'fr': 'charge 0.52 · mém 40 %'},
           'statuses %r, expected one per language' % statuses)


def test_nothing_sent_without_change(env):
    alice = env.client('alice')
    # So far: the initial presence sent when the agent came online (without a status when
    # the first probe run was not in yet) and the one with the status, nothing else.
    ps = agent_presences(env, alice)
    expect(len([p for p in ps if p[1]]) == 1 and len(ps) <= 2, 'presences at start: %r' % ps)
    before = len(ps)
    # Several probe runs (interval: 1s) and min_update (2s) pass with the same values.
    env.sleep(QUIET)
    after = len(agent_presences(env, alice))
    expect(after == before, '%d presence(s) sent while nothing changed' % (after - before))


def test_failed_probe_shows_question_mark(env):
    alice = env.client('alice')
    os.unlink(os.path.join(STATE['root'], 'proc', 'loadavg'))
    wait_agent_presence(env, alice, lambda show, st: st.get('en', '').startswith('load ?') and
                        st.get('fr', '').startswith('charge ?'),
                        "a status with '?' for the failed probe")
    env.agent.wait_log(r'probe load failed', what='a warning about the failed probe')
    set_load('0.52')
    wait_agent_presence(env, alice, lambda show, st: st.get('en') == 'load 0.52 · mem 40%',
                        'the status once the probe works again')


def test_reload_with_long_min_update(env):
    """From here on, min_update is an hour: only show changes may go out."""
    alice = env.client('alice')
    before = len(agent_presences(env, alice))
    mark = env.agent.log_mark()
    env.agent.write_config(policy('1h'))
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(r'Configuration reloaded', since=mark, what='the reload')
    # The restarted feature publishes its state once.
    wait_agent_presence(env, alice, lambda show, st: st.get('en') == 'load 0.52 · mem 40%',
                        'the presence published after the reload', since=before)


def test_text_change_held_back(env):
    alice = env.client('alice')
    set_load('0.61')
    before = len(agent_presences(env, alice))
    env.sleep(QUIET)
    ps = agent_presences(env, alice)
    expect(len(ps) == before, 'a text-only change was published within min_update: %r' % ps[before:])


def test_show_change_is_prompt_and_alerts(env):
    alice = env.client('alice')
    set_load('5.00')
    # Despite min_update: 1h, the show change goes out, with the text held back until now.
    show, statuses = wait_agent_presence(env, alice, lambda show, st: show == 'dnd', 'presence with show dnd')
    expect(statuses == {'en': 'load 5.00 · mem 40%', 'fr': 'charge 5.00 · mém 40 %'},
           'statuses %r' % statuses)
    for bob in bob_resources(env):
        body = wait_headline(env, bob, 'is dnd', 'an alert headline')[0]
        expect('load1 >= 4' in body and 'load 5.00' in body, 'alert body %r' % body)
    # Alerts go to the oncall list only.
    expect(not headlines(env.client('alice')), 'alice got alerts: %r' % headlines(env.client('alice')))


def test_other_rule(env):
    alice = env.client('alice')
    set_load('0.30')
    set_mem(50000)
    wait_agent_presence(env, alice, lambda show, st: show == 'away', 'presence with show away')
    for bob in bob_resources(env):
        wait_headline(env, bob, 'is away (was dnd)', 'an alert about the change from dnd to away')


def test_recovery(env):
    alice = env.client('alice')
    set_mem(600000)
    wait_agent_presence(env, alice, lambda show, st: show is None and st.get('en', '').startswith('load 0.30'),
                        'presence back to available')
    for bob in bob_resources(env):
        wait_headline(env, bob, 'back to normal (was away)', 'a recovery headline')


def test_alerts_rate_limited(env):
    """Three alerts went out this hour (max_per_hour: 3): the fourth is held back."""
    alice = env.client('alice')
    mark = env.agent.log_mark()
    set_load('5.00')
    wait_agent_presence(env, alice, lambda show, st: show == 'dnd', 'presence with show dnd again')
    env.agent.wait_log(r'alerts\.max_per_hour reached, alert held back', since=mark,
                       what='the fourth alert to be held back')
    env.sleep(1)
    for bob in bob_resources(env):
        got = headlines(bob)
        expect(len(got) == MAX_PER_HOUR, '%s got %d alerts, expected %d: %r'
               % (bob.jid, len(got), MAX_PER_HOUR, got))


def test_set_status_invisible_to_others(env):
    for user in ('alice', 'carol', 'mallory'):
        c = env.client(user)
        expect(NODE not in c.commands(env.agent_jid), '%s sees %s' % (user, NODE))
        c.disco_info(env.agent_jid, node=NODE).expect_error(
            'cancel', 'item-not-found', what='disco#info of %s for %s' % (NODE, user))
        c.execute(env.agent_jid, NODE).expect_error(
            'cancel', 'item-not-found', what='execute %s as %s' % (NODE, user))
    bob = env.client('bob')
    names = bob.commands(env.agent_jid)
    expect(names.get(NODE) == 'Set status', 'bob sees %r' % names.get(NODE))
    names = env.client('bob', resource='fr', lang='fr').commands(env.agent_jid, lang='fr')
    expect(names.get(NODE) == 'Changer le statut', 'bob (fr) sees %r' % names.get(NODE))


def fixed_text(reply):
    return ' '.join(' '.join(f.values) for f in reply.fields.values() if f.type == 'fixed')


def test_set_status(env):
    alice = env.client('alice')
    bob = env.client('bob')
    r = bob.execute(env.agent_jid, NODE).expect_status('executing', 'the set-status form')
    fields = r.fields
    expect(fixed_text(r).startswith('dnd: load 5.00 · mem 40% (rule 1: load1 >= 4)'),
           'the form shows %r, expected what is published' % fixed_text(r), r)
    expect([v for _, v in fields['show'].options] == ['available', 'chat', 'away', 'xa', 'dnd'],
           'show options %r' % fields['show'].options, r)
    expect({'15m', '1h', '4h', 'forever'} <= {v for _, v in fields['duration'].options},
           'duration options %r' % fields['duration'].options, r)
    expect(fields['clear'].type == 'boolean' and fields['status'].type == 'text-single',
           'fields %r' % fields, r)

    before = len(agent_presences(env, alice))
    r = bob.command(env.agent_jid, NODE, r.sessionid,
                    values={'show': 'chat', 'status': 'maintenance until noon', 'duration': 'forever',
                            'clear': '0'})
    r.expect_status('completed', 'setting a manual status')
    expect('Now published: chat: maintenance until noon (manual, until cleared)' in r.note_text(),
           'note %r' % r.note_text(), r)
    show, statuses = wait_agent_presence(env, alice, lambda show, st: show == 'chat',
                                         'the manual presence', since=before)
    expect(statuses == {None: 'maintenance until noon'}, 'statuses %r' % statuses)

    # The form shows the manual status now; clearing brings the computed one back.
    r = bob.execute(env.agent_jid, NODE).expect_status('executing', 'the set-status form again')
    expect(fixed_text(r).startswith('chat: maintenance until noon (manual'),
           'the form shows %r' % fixed_text(r), r)
    before = len(agent_presences(env, alice))
    r = bob.command(env.agent_jid, NODE, r.sessionid, values={'clear': '1'})
    r.expect_status('completed', 'clearing the manual status')
    expect('Now published: dnd: load 5.00' in r.note_text(), 'note %r' % r.note_text(), r)
    show, statuses = wait_agent_presence(env, alice, lambda show, st: show == 'dnd',
                                         'the computed presence again', since=before)
    expect(statuses.get('en') == 'load 5.00 · mem 40%', 'statuses %r' % statuses)


def test_set_status_in_french(env):
    """The form and the notes in the requester's language; the show values and the
    published text stay as they are."""
    alice = env.client('alice')
    bob = env.client('bob', resource='fr', lang='fr')
    r = bob.execute(env.agent_jid, NODE, lang='fr').expect_status('executing', 'the set-status form in French')
    expect(r.lang == 'fr' and r.form_title == 'Changer le statut', 'title %r' % r.form_title, r)
    expect(fixed_text(r).startswith('dnd : load 5.00 · mem 40% (règle 1 : load1 >= 4)'),
           'the form shows %r' % fixed_text(r), r)
    fields = r.fields
    expect(fields['show'].label == 'Disponibilité' and
           dict((v, l) for l, v in fields['show'].options)['dnd'] == 'Ne pas déranger',
           'show %r %r' % (fields['show'].label, fields['show'].options), r)
    expect(dict((v, l) for l, v in fields['duration'].options)['1h'] == '1 heure',
           'duration options %r' % fields['duration'].options, r)
    expect(fields['status'].label == 'Texte du statut', 'status label %r' % fields['status'].label, r)

    before = len(agent_presences(env, alice))
    r = bob.command(env.agent_jid, NODE, r.sessionid,
                    values={'show': 'xa', 'status': 'en maintenance', 'duration': 'forever',
                            'clear': '0'})
    r.expect_status('completed', 'setting a manual status in French')
    expect(r.note_text() == 'Publié maintenant : xa : en maintenance (manuel, jusqu\'à effacement)',
           'note %r' % r.note_text(), r)
    wait_agent_presence(env, alice, lambda show, st: show == 'xa', 'the manual presence', since=before)

    before = len(agent_presences(env, alice))
    r = bob.execute(env.agent_jid, NODE, lang='fr').expect_status('executing', 'the form again')
    r = bob.command(env.agent_jid, NODE, r.sessionid, values={'clear': '1'})
    r.expect_status('completed', 'clearing the manual status in French')
    expect(r.note_text().startswith('Publié maintenant : dnd : load 5.00'), 'note %r' % r.note_text(), r)
    wait_agent_presence(env, alice, lambda show, st: show == 'dnd', 'the computed presence again',
                        since=before)


def test_last_activity(env):
    alice = env.client('alice')
    r = alice.iq('get', ET.Element('{%s}query' % NS_LAST), env.agent_jid).expect_result('jabber:iq:last')
    q = r.xml.find('{%s}query' % NS_LAST)
    expect(q is not None and re.fullmatch(r'[0-9]+', q.get('seconds') or ''),
           'jabber:iq:last answer without a seconds attribute', r)


def test_back_to_normal(env):
    alice = env.client('alice')
    set_load('0.30')
    wait_agent_presence(env, alice, lambda show, st: show is None, 'presence back to available')


def test_disk_probes(env):
    """disk:PATH, measured in a child process (statvfs() can hang on a network mount): the
    used share of a real directory, and '?' for a path that does not exist."""
    alice = env.client('alice')
    before = len(agent_presences(env, alice))
    missing = os.path.join(STATE['root'], 'not-there')
    text = PRESENCE.replace('probes: {{builtin: [load, memory]}}',
                            'probes: {{builtin: [load, memory, "disk:{root}", "disk:MISSING"]}}')
    text = text.replace('status: {{en: "load {{load1}} · mem {{mem_used_pct}}%", fr: "charge {{load1}} · mém {{mem_used_pct}} %"}}',
                        'status: "disk {{disk_used_pct:{root}}}% free {{disk_free_gb:{root}}} '
                        'other {{disk_used_pct:MISSING}}"')
    text = text.replace('MISSING', missing)
    expect(text != PRESENCE, 'the test could not rewrite the presence section')
    mark = env.agent.log_mark()
    env.agent.write_config(H.STANDARD_POLICY + text.format(root=STATE['root'], min_update='1s',
                                                           max_per_hour=MAX_PER_HOUR))
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(r'Configuration reloaded', since=mark, what='the reload')
    _show, statuses = wait_agent_presence(env, alice, lambda show, st: (st.get('') or st.get(None) or
                                                                        next(iter(st.values()), '')).startswith('disk '),
                                          'the presence with the disk probes', since=before)
    status = next(iter(statuses.values()))
    m = re.fullmatch(r'disk ([0-9]+)% free ([0-9]+\.[0-9]) other \?', status)
    expect(m is not None, 'status %r: expected "disk N%% free G other ?"' % status)
    st = os.statvfs(STATE['root'])
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    want = -(-100 * used // (used + avail))
    expect(abs(int(m.group(1)) - want) <= 1, 'disk used %s%%, statvfs says %d%%' % (m.group(1), want))


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_start, test_subscriber_sees_status, test_nothing_sent_without_change,
                               test_failed_probe_shows_question_mark, test_reload_with_long_min_update,
                               test_text_change_held_back, test_show_change_is_prompt_and_alerts,
                               test_other_rule, test_recovery, test_alerts_rate_limited,
                               test_set_status_invisible_to_others, test_set_status,
                               test_set_status_in_french, test_last_activity,
                               test_back_to_normal, test_disk_probes],
                    subscribe=('alice',), start_agent=False))
