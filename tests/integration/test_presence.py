#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Monitoring through presence (issue 7), end to end: a subscribed contact
receives the agent's presence with the show the rules give and one <status>
per language; nothing is sent while nothing changes; a show change is sent at
once; headline alerts reach the members of the alerts.to group, with a
recovery message. The probes read a fake /proc tree that the test rewrites."""

import os
import sys
import xml.etree.ElementTree as ET

import harness as H
from harness import expect

NS = H.NS_CLIENT

PRESENCE = '''
presence:
  interval: 1s
  min_update: 2s
  root: {root}
  status: {{en: "load {{load1}} · mem {{mem_used_pct}}%", fr: "charge {{load1}} · mém {{mem_used_pct}} %"}}
  probes: {{builtin: [load, memory]}}
  show:
    - {{when: "load1 >= 4", show: dnd}}
    - {{when: "mem_used_pct >= 90", show: away}}
  alerts: {{to: {{groups: [admins]}}, max_per_hour: 6}}
'''

STATE = {}


def write_proc(env, name, text):
    with open(os.path.join(STATE['root'], 'proc', name), 'w') as f:
        f.write(text)


def set_load(env, load1):
    write_proc(env, 'loadavg', '%s 0.50 0.40 1/100 4242\n' % load1)


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


def wait_agent_presence(env, client, pred, what):
    def found():
        ps = agent_presences(env, client)
        return ps[-1] if ps and pred(*ps[-1]) else None
    return env.wait_until(found, 30, what, interval=0.2)


def headlines(env):
    return [(to, body) for to, mtype, body in STATE['messages'] if mtype == 'headline']


def test_start(env):
    root = os.path.join(env.dir, 'fakeroot')
    os.makedirs(os.path.join(root, 'proc'), exist_ok=True)
    STATE['root'] = root
    set_load(env, '0.52')
    write_proc(env, 'meminfo', 'MemTotal: 1000000 kB\nMemAvailable: 600000 kB\n')
    # bob (admins) receives the alerts: record his messages from the start.
    STATE['messages'] = []
    bob = env.client('bob')
    bob.xmpp.add_event_handler('message', lambda m: STATE['messages'].append(
        (str(m['to']), m.xml.get('type'), m['body'])))
    env.start_agent(H.STANDARD_POLICY + PRESENCE.format(root=root))


def test_subscriber_sees_status(env):
    alice = env.client('alice')
    show, statuses = wait_agent_presence(env, alice, lambda show, st: st.get('en', '').startswith('load 0.52'),
                                         'the agent presence with its status')
    expect(show is None, 'show %r, expected none (available)' % show)
    expect(statuses.get('en') == 'load 0.52 · mem 40%', 'English status %r' % statuses.get('en'))
    expect(statuses.get('fr') == 'charge 0.52 · mém 40 %', 'French status %r' % statuses.get('fr'))


def test_nothing_sent_without_change(env):
    alice = env.client('alice')
    before = len(agent_presences(env, alice))
    # Several probe intervals (1s) and min_update (2s) pass with the same values.
    env.sleep(4)
    after = len(agent_presences(env, alice))
    expect(after == before, '%d presence(s) sent while nothing changed' % (after - before))


def test_show_change_and_alert(env):
    alice = env.client('alice')
    set_load(env, '5.00')
    show, statuses = wait_agent_presence(env, alice, lambda show, st: show == 'dnd', 'presence with show dnd')
    expect(statuses.get('en') == 'load 5.00 · mem 40%', 'status %r' % statuses.get('en'))
    env.wait_until(lambda: any('is dnd' in b for _, b in headlines(env)), 30, 'an alert headline to bob')
    body = [b for _, b in headlines(env) if 'is dnd' in b][0]
    expect('load1 >= 4' in body and 'load 5.00' in body, 'alert body %r' % body)


def test_other_rule(env):
    alice = env.client('alice')
    set_load(env, '0.30')
    write_proc(env, 'meminfo', 'MemTotal: 1000000 kB\nMemAvailable: 50000 kB\n')
    wait_agent_presence(env, alice, lambda show, st: show == 'away', 'presence with show away')
    env.wait_until(lambda: any('is away (was dnd)' in b for _, b in headlines(env)), 30,
                   'an alert about the change from dnd to away')


def test_recovery(env):
    alice = env.client('alice')
    write_proc(env, 'meminfo', 'MemTotal: 1000000 kB\nMemAvailable: 600000 kB\n')
    wait_agent_presence(env, alice, lambda show, st: show is None and st.get('en', '').startswith('load 0.30'),
                        'presence back to available')
    env.wait_until(lambda: any('back to normal (was away)' in b for _, b in headlines(env)), 30,
                   'a recovery headline')


def test_failed_probe_shows_question_mark(env):
    alice = env.client('alice')
    os.unlink(os.path.join(STATE['root'], 'proc', 'loadavg'))
    wait_agent_presence(env, alice, lambda show, st: st.get('en', '').startswith('load ?'),
                        "a status with '?' for the failed probe")
    set_load(env, '0.30')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_start, test_subscriber_sees_status, test_nothing_sent_without_change,
                               test_show_change_and_alert, test_other_rule, test_recovery,
                               test_failed_probe_shows_question_mark],
                    subscribe=('alice',), start_agent=False))
