#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The systemd services feature end to end (issue 6): a real Prosody, the real agent
with plugins: {systemd: ...}, slixmpp as the admin's client, and a stand-in for
org.freedesktop.systemd1 (python-dbusmock with tests/systemd/systemd_mock.py) on a
private dbus-daemon playing the system bus. The mock appends every Manager call to a
log, read here to prove what was and was not called.

Proved here: the generated commands and who sees them; only allow-listed units that
exist are offered and listed (secret.service exists but is never shown), loaded or only
installed as unit files (app-idle.service: listed, loaded with LoadUnit for its details
and its job, started; templates, masked units for the verbs and unit files outside the
allow-list are never offered); a forged unit
is bad-payload with nothing called; an alias resolving outside the allow-list is refused
before any job; the confirmation stage appears for the verbs under confirm: only, and
declining does nothing; job results are reported as systemd gives them (done, failed,
timeout when JobRemoved never comes) with the state afterwards; AccessDenied becomes a
note naming the polkit rule; status shows the table and one unit's details.

The journal is real: journal files written by systemd-journal-remote from export format
(tests/systemd/journal_files.py), with several units' lines interleaved. A failed job's
answer carries the last journal_lines lines of that unit only (its own and systemd's
lines about it), oldest first; the details carry the chosen unit's, cut and cleaned; with
journal_lines: 0 no journal is shown."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import dbusenv
import harness as H
from harness import expect

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, '..', 'systemd', 'systemd_mock.py')
sys.path.insert(0, os.path.join(HERE, '..', 'systemd'))
import journal_files  # noqa: E402
BUS = None
MOCK = None
CALLS = None
JOURNAL = None

POLICY = '''
sessions: {{max_per_requester: 20, rate_per_minute: 1000}}

plugins:
  systemd:
    allow: {{groups: [admins]}}
    bus: {bus}
    units: ["nginx.service", "app-*.service"]
    verbs: [status, start, stop, restart, reload]
    confirm: [stop, restart]
    job_timeout: 2s
    journal_lines: {journal_lines}
    journal_dir: {journal}
'''

ALLOWED = {'nginx.service', 'app-web.service', 'app-broken.service', 'app-hang.service',
           'app-locked.service', 'app-alias.service'}
# Installed but not loaded (only unit files): offered to every verb, and the masked one to
# status only.
FILE_ONLY = {'app-idle.service'}
MASKED = {'app-masked.service'}
OFFERED = ALLOWED | FILE_ONLY
LISTED = ALLOWED | FILE_ONLY | MASKED
# The journal: app-broken's, nginx's and secret's lines interleaved, then systemd's line
# about app-broken (UNIT=, logged by PID 1), then more of the others.
BROKEN_FAILED = "app-broken.service: Failed with result 'exit-code'."
LONG = 'y' * 1000


def journal_entries():
    entries = []
    for i in range(1, 9):
        entries += [{'_SYSTEMD_UNIT': 'app-broken.service', 'MESSAGE': 'broken line %d' % i},
                    {'_SYSTEMD_UNIT': 'nginx.service', 'MESSAGE': 'nginx line %d' % i},
                    {'_SYSTEMD_UNIT': 'secret.service', 'MESSAGE': 'secret line %d' % i}]
    entries += [{'_SYSTEMD_UNIT': 'init.scope', 'UNIT': 'app-broken.service', 'MESSAGE': BROKEN_FAILED},
                {'_SYSTEMD_UNIT': 'secret.service', 'MESSAGE': 'secret line 9'},
                {'_SYSTEMD_UNIT': 'nginx.service', 'MESSAGE': LONG},
                {'_SYSTEMD_UNIT': 'nginx.service', 'MESSAGE': 'two\nlines \x1b[31mred'},
                {'_SYSTEMD_UNIT': 'app-web.service', 'MESSAGE': 'web line'}]
    return entries


BROKEN_TAIL = ['broken line 5', 'broken line 6', 'broken line 7', 'broken line 8', BROKEN_FAILED]
# Cut to 300 bytes (SYSD_LINE_MAX); control characters shown as U+FFFD.
NGINX_TAIL = ['nginx line 6', 'nginx line 7', 'nginx line 8', 'y' * 300, 'two\ufffdlines \ufffd[31mred']

VERBS = ['systemd/status', 'systemd/start', 'systemd/stop', 'systemd/restart', 'systemd/reload']


def calls():
    try:
        with open(CALLS) as f:
            return [line.split() for line in f.read().splitlines()]
    except FileNotFoundError:
        return []


def acted_on(unit):
    """The job methods called for unit."""
    return [c for c in calls() if c[0].endswith('Unit') and c[0] not in ('GetUnit', 'LoadUnit')
            and len(c) > 1 and c[1] == unit]


def notes(r, kind=None):
    return [t for ty, t in r.notes if kind is None or ty == kind]


def table(r):
    """The rows of a result form's table as dicts."""
    f = r.form
    expect(f is not None, 'no result form', r)
    rows = []
    for item in f.findall('{%s}item' % H.NS_DATA):
        rows.append({fl.get('var'): fl.findtext('{%s}value' % H.NS_DATA) or ''
                     for fl in item.findall('{%s}field' % H.NS_DATA)})
    return rows


def open_form(env, node):
    r = env.client('bob').execute(env.agent_jid, node).expect_status('executing', node)
    return r


def offered(r):
    f = r.fields.get('unit')
    expect(f is not None and f.type == 'list-single', 'no unit choice: %r' % r.fields, r)
    return {v for _, v in f.options}


def wait_units(env, node='systemd/start'):
    """The agent lists the units once connected: wait until its forms offer them."""
    def ready():
        r = open_form(env, node)
        env.client('bob').command(env.agent_jid, node, r.sessionid, 'cancel')
        f = r.fields.get('unit')
        return f is not None and len(f.options) == len(OFFERED)
    env.wait_until(ready, 30, 'the agent to list the units')


def run_verb(env, node, unit, confirm=None):
    """Submits unit; with confirm (True/False), answers the confirmation stage."""
    bob = env.client('bob')
    r = open_form(env, node)
    r = bob.command(env.agent_jid, node, r.sessionid, 'next' if confirm is not None else 'complete',
                    {'unit': unit})
    if confirm is None:
        return r
    r.expect_status('executing', '%s: the confirmation stage' % node)
    return bob.command(env.agent_jid, node, r.sessionid, 'complete', {'confirm': '1' if confirm else '0'})


# --------------------------------------------------------------------------


def test_commands_and_access(env):
    bob = set(env.client('bob').commands(env.agent_jid))
    expect(set(VERBS) <= bob, 'bob (admins) sees %r' % sorted(bob))
    alice = env.client('alice')
    expect(not [n for n in alice.commands(env.agent_jid) if n.startswith('systemd')],
           'alice (not an admin) sees the systemd commands')
    alice.execute(env.agent_jid, 'systemd/restart').expect_error('cancel', 'item-not-found', what='alice')
    expect(['Subscribe'] in calls(), 'the agent did not Subscribe(): %r' % calls())


def test_only_allowed_units_offered(env):
    wait_units(env)
    for node in VERBS:
        r = open_form(env, node)
        units = offered(r)
        expect(units == (LISTED if node == 'systemd/status' else OFFERED), '%s offers %r' % (node, sorted(units)), r)
        for never in ['secret.service', 'other.service', 'app-tmpl@.service']:
            expect(never not in units, '%s offers %s' % (node, never), r)
        env.client('bob').command(env.agent_jid, node, r.sessionid, 'cancel')
    # Listed by the allow-list's patterns, not everything: the loaded units and the unit files.
    for method in ['ListUnitsByPatterns', 'ListUnitFilesByPatterns']:
        listed = [c for c in calls() if c[0] == method]
        expect(listed and all(c[1:] == ['nginx.service', 'app-*.service'] for c in listed),
               '%s: %r' % (method, listed))


def status_rows(env, unit=None):
    r = open_form(env, 'systemd/status')
    r = env.client('bob').command(env.agent_jid, 'systemd/status', r.sessionid, 'complete',
                                  {'unit': unit} if unit else {})
    r.expect_status('completed', 'status %s' % (unit or ''))
    return r, {row['unit']: row for row in table(r)}


def test_unit_file_only(env):
    """A disabled service systemd has not loaded: listed from its unit file, loaded on demand."""
    expect(not [c for c in calls() if c[0] in ('GetUnit', 'LoadUnit') and c[1] == 'app-idle.service'],
           'app-idle.service was loaded before the test: %r' % calls())
    r, rows = status_rows(env)
    expect(set(rows) == LISTED, 'the table lists %r' % sorted(rows), r)
    idle = rows['app-idle.service']
    expect((idle['load'], idle['active'], idle['sub'], idle['file'], idle['since'])
           == ('not-loaded', 'inactive', 'dead', 'disabled', ''), 'app-idle row %r' % idle, r)
    masked = rows['app-masked.service']
    expect((masked['load'], masked['active'], masked['file']) == ('not-loaded', 'inactive', 'masked'),
           'app-masked row %r' % masked, r)
    expect(rows['nginx.service']['file'] == 'enabled', 'nginx row %r' % rows['nginx.service'], r)
    # Its details: LoadUnit loads it (GetUnit would fail: it is not loaded).
    r, rows = status_rows(env, 'app-idle.service')
    expect(r.fields['detail_unit'].value == 'app-idle.service', 'details %r' % r.fields, r)
    expect(['LoadUnit', 'app-idle.service'] in calls(), 'no LoadUnit: %r' % calls())
    # Started: the job followed, the state afterwards reported.
    before = len(calls())
    r = run_verb(env, 'systemd/start', 'app-idle.service').expect_status('completed', 'start app-idle')
    expect(notes(r) == ['Start app-idle.service: done; now active (running).'], 'notes %r' % r.notes, r)
    new = calls()[before:]
    expect(['LoadUnit', 'app-idle.service'] in new and
           acted_on('app-idle.service') == [['StartUnit', 'app-idle.service', 'replace']], 'calls %r' % new)
    r, rows = status_rows(env)
    idle = rows['app-idle.service']
    expect((idle['load'], idle['active'], idle['sub'], idle['file']) == ('loaded', 'active', 'running', 'disabled'),
           'app-idle row after the start %r' % idle, r)


def test_forged_unit_refused(env):
    before = len(calls())
    # Not offered to start: outside the allow-list, a template, a masked unit.
    for unit in ['secret.service', 'sshd.service', 'app-web.service; rm -rf /', 'other.service',
                 'app-tmpl@.service', 'app-masked.service']:
        r = run_verb(env, 'systemd/start', unit)
        r.expect_error('modify', 'bad-request', 'bad-payload', what='forged %r' % unit)
    new = calls()[before:]
    expect(not [c for c in new if c[0] in ('GetUnit', 'LoadUnit', 'StartUnit')],
           'a forged unit reached systemd: %r' % new)


def test_alias_resolved_and_refused(env):
    r = run_verb(env, 'systemd/start', 'app-alias.service')
    r.expect_error('auth', 'forbidden', what='alias of secret.service')
    expect('secret.service' in (r.error[3] or ''), 'error text %r' % (r.error,), r)
    expect(not acted_on('app-alias.service') and not acted_on('secret.service'),
           'the alias was acted on: %r' % calls())


def test_confirm_stage(env):
    bob = env.client('bob')
    r = open_form(env, 'systemd/restart')
    r = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'next', {'unit': 'nginx.service'})
    r.expect_status('executing', 'the confirmation stage')
    f = r.fields.get('confirm')
    expect(f is not None and f.type == 'boolean' and f.label == 'Restart nginx.service?',
           'confirmation field %r' % (f and f.label), r)
    r = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'complete', {'confirm': '0'})
    r.expect_status('completed', 'declined')
    expect(notes(r) == ['Not confirmed; nothing was done.'], 'notes %r' % r.notes, r)
    expect(not acted_on('nginx.service'), 'declining restarted: %r' % calls())
    # Accepted: restarted, the job followed to its end.
    r = run_verb(env, 'systemd/restart', 'nginx.service', confirm=True).expect_status('completed', 'restart')
    expect(notes(r, 'info') == ['Restart nginx.service: done; now active (running).'], 'notes %r' % r.notes, r)
    expect(r.fields['result'].value == 'done' and r.fields['active'].value == 'active', 'fields %r' % r.fields, r)
    expect(acted_on('nginx.service') == [['RestartUnit', 'nginx.service', 'replace']], 'calls %r' % calls())


def test_confirm_in_french(env):
    """A French requester (xml:lang='fr' on the iq) gets the names, the form, the confirmation
    prompt and the notes in French; what systemd says (done, active, running) stays as it is.
    English or another language gets English."""
    bob = env.client('bob')
    names = bob.commands(env.agent_jid, lang='fr')
    expect(names.get('systemd/restart') == 'Redémarrer un service'
           and names.get('systemd/status') == 'État des services', 'French names %r' % names)
    r = bob.execute(env.agent_jid, 'systemd/restart', lang='fr').expect_status('executing', 'restart in French')
    expect(r.form_title == 'Redémarrer un service' and r.fields['unit'].label == 'Unité',
           'form %r %r' % (r.form_title, r.fields), r)
    sid = r.sessionid
    # A unit never offered: bad-payload, the note naming the field in French.
    e = bob.command(env.agent_jid, 'systemd/restart', sid, 'next', {'unit': 'secret.service'})
    e.expect_error('modify', 'bad-request', 'bad-payload', 'forged unit in French')
    expect(notes(e, 'error') == ['Unité : « secret.service » ne fait pas partie des choix proposés'],
           'notes %r' % e.notes, e)
    # The session stays French whatever later requests say.
    r = bob.command(env.agent_jid, 'systemd/restart', sid, 'next', {'unit': 'nginx.service'}, lang='en')
    r.expect_status('executing', 'the confirmation stage in French')
    f = r.fields.get('confirm')
    expect(f is not None and f.label == 'Redémarrer nginx.service ?', 'confirmation %r' % (f and f.label), r)
    expect(r.form_title == 'Redémarrer un service', 'confirmation title %r' % r.form_title, r)
    r = bob.command(env.agent_jid, 'systemd/restart', sid, 'complete', {'confirm': '0'})
    r.expect_status('completed', 'declined in French')
    expect(notes(r) == ["Non confirmé ; rien n'a été fait."], 'notes %r' % r.notes, r)
    r = bob.execute(env.agent_jid, 'systemd/restart', lang='fr-CA').expect_status('executing')
    r = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'next', {'unit': 'nginx.service'})
    r = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'complete', {'confirm': '1'})
    r.expect_status('completed', 'restart in French')
    expect(notes(r, 'info') == ['Redémarrer nginx.service : done ; état actuel : active (running).'],
           'notes %r' % r.notes, r)
    expect(r.fields['result'].label == 'Résultat de la tâche', 'fields %r' % r.fields, r)

    for lang in ('en', 'de'):
        names = bob.commands(env.agent_jid, lang=lang)
        expect(names.get('systemd/restart') == 'Restart a service', '%s: names %r' % (lang, names))
        r = bob.execute(env.agent_jid, 'systemd/restart', lang=lang).expect_status('executing', lang)
        expect(r.form_title == 'Restart a service' and r.fields['unit'].label == 'Unit',
               '%s: form %r %r' % (lang, r.form_title, r.fields), r)
        e = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'next', {'unit': 'secret.service'})
        e.expect_error('modify', 'bad-request', 'bad-payload', '%s: forged unit' % lang)
        expect(notes(e, 'error') == ["Unit: 'secret.service' is not one of the offered choices"],
               '%s: notes %r' % (lang, e.notes), e)
        r = bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'next', {'unit': 'nginx.service'})
        expect(r.fields['confirm'].label == 'Restart nginx.service?', '%s: %r' % (lang, r.fields), r)
        bob.command(env.agent_jid, 'systemd/restart', r.sessionid, 'cancel').expect_status('canceled')


def test_no_confirm_for_other_verbs(env):
    # start is not under confirm: the unit's submission runs it.
    r = open_form(env, 'systemd/start')
    expect(r.actions is not None and 'next' not in r.actions[1], 'start offers %r' % (r.actions,), r)
    r = env.client('bob').command(env.agent_jid, 'systemd/start', r.sessionid, 'complete',
                                  {'unit': 'app-web.service'}).expect_status('completed', 'start')
    expect(notes(r) == ['Start app-web.service: done; now active (running).'], 'notes %r' % r.notes, r)
    r = run_verb(env, 'systemd/reload', 'app-web.service').expect_status('completed', 'reload')
    expect(notes(r) == ['Reload app-web.service: done; now active (running).'], 'notes %r' % r.notes, r)
    r = run_verb(env, 'systemd/stop', 'app-web.service', confirm=True).expect_status('completed', 'stop')
    expect(notes(r) == ['Stop app-web.service: done; now inactive (dead).'], 'notes %r' % r.notes, r)


def test_failed_job(env):
    r = run_verb(env, 'systemd/start', 'app-broken.service').expect_status('completed', 'failed start')
    expect(notes(r, 'error') == ['Start app-broken.service: failed; now failed (failed).'], 'notes %r' % r.notes, r)
    expect(r.fields['result'].value == 'failed', 'fields %r' % r.fields, r)
    # The last 5 (journal_lines) of app-broken's lines, oldest first: none of nginx's or
    # secret's, which were logged in between and after.
    expect('journal' in r.fields and r.fields['journal'].type == 'text-multi', 'fields %r' % r.fields, r)
    expect(r.fields['journal'].values == BROKEN_TAIL, 'journal %r' % r.fields['journal'].values, r)
    expect(not notes(r, 'warn'), 'notes %r' % r.notes, r)


def test_job_timeout(env):
    r = run_verb(env, 'systemd/start', 'app-hang.service').expect_status('completed', 'hanging start')
    expect(notes(r, 'error')[:1] == ['Start app-hang.service: timeout; now inactive (dead).'], 'notes %r' % r.notes, r)
    # A unit without journal lines: said so rather than silently nothing.
    expect('No journal lines for app-hang.service.' in notes(r, 'warn') and 'journal' not in r.fields,
           'notes %r, fields %r' % (r.notes, r.fields), r)
    expect(acted_on('app-hang.service') == [['StartUnit', 'app-hang.service', 'replace']], 'calls %r' % calls())


def test_access_denied(env):
    r = run_verb(env, 'systemd/restart', 'app-locked.service', confirm=True)
    r.expect_status('completed', 'denied restart')
    text = ' '.join(notes(r, 'error'))
    for what in ['permission denied', 'org.freedesktop.DBus.Error.AccessDenied', 'administrator',
                 'org.freedesktop.systemd1.manage-units', '50-adhocd.rules', 'restart on app-locked.service']:
        expect(what in text, 'the note does not say %r: %r' % (what, text), r)


def test_status(env):
    bob = env.client('bob')
    r = open_form(env, 'systemd/status')
    expect(offered(r) == LISTED, 'status offers %r' % offered(r), r)
    expect(not r.fields['unit'].required, 'the choice of a unit is required', r)
    r = bob.command(env.agent_jid, 'systemd/status', r.sessionid, 'complete', {})
    r.expect_status('completed', 'status')
    rows = {row['unit']: row for row in table(r)}
    expect(set(rows) == LISTED, 'the table lists %r' % sorted(rows), r)
    n = rows['nginx.service']
    expect(n['description'] == 'A high performance web server' and n['load'] == 'loaded'
           and n['active'] == 'active' and n['sub'] == 'running' and n['file'] == 'enabled'
           and n['since'].startswith('2023-11-1'),
           'nginx row %r' % n, r)
    # The details of one unit.
    r = open_form(env, 'systemd/status')
    r = bob.command(env.agent_jid, 'systemd/status', r.sessionid, 'complete', {'unit': 'nginx.service'})
    r.expect_status('completed', 'status of nginx')
    f = r.fields
    expect(f['main_pid'].value == '4242' and f['memory'].value == '8.0 MiB', 'details %r' % f, r)
    expect(f['journal'].values == NGINX_TAIL, 'journal %r' % f['journal'], r)
    r = open_form(env, 'systemd/status')
    bob.command(env.agent_jid, 'systemd/status', r.sessionid, 'complete', {'unit': 'secret.service'}) \
        .expect_error('modify', 'bad-request', what='status of secret.service')


def test_journal_lines_zero(env):
    env.agent.stop()
    env.start_agent(policy(journal_lines=0))
    wait_units(env)
    r = run_verb(env, 'systemd/start', 'app-broken.service').expect_status('completed', 'failed start')
    expect(notes(r) == ['Start app-broken.service: failed; now failed (failed).'], 'notes %r' % r.notes, r)
    expect('journal' not in r.fields, 'journal_lines: 0 showed %r' % r.fields.get('journal'), r)
    r = open_form(env, 'systemd/status')
    r = env.client('bob').command(env.agent_jid, 'systemd/status', r.sessionid, 'complete', {'unit': 'nginx.service'})
    r.expect_status('completed', 'status of nginx')
    expect('main_pid' in r.fields and 'journal' not in r.fields, 'details %r' % r.fields, r)


def policy(journal_lines=5):
    return POLICY.format(bus=json.dumps(BUS.address), journal=json.dumps(JOURNAL), journal_lines=journal_lines)


if __name__ == '__main__':
    for prog in ('dbus-daemon', 'dbus-send'):
        if not shutil.which(prog):
            print('%s is needed (tools/install-deps.sh)' % prog)
            sys.exit(77)
    if subprocess.run(['/usr/bin/python3', '-c', 'import dbusmock'], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        print('python3-dbusmock is needed (tools/install-deps.sh)')
        sys.exit(77)
    if not journal_files.journal_remote():
        print('systemd-journal-remote is needed (tools/install-deps.sh)')
        sys.exit(77)
    BUS = dbusenv.PrivateBus()
    CALLS = os.path.join(BUS.dir, 'systemd-calls.log')
    JOURNAL = tempfile.mkdtemp(prefix='journal-', dir=BUS.dir)
    journal_files.write_journal(JOURNAL, journal_entries())
    rc = 1
    try:
        BUS.start()
        MOCK = BUS.spawn(['/usr/bin/python3', '-m', 'dbusmock', '--session', '--template', TEMPLATE,
                          '--parameters', json.dumps({'log': CALLS})], 'systemd-mock')
        H.wait_until(lambda: BUS.has_owner('org.freedesktop.systemd1'), 30, 'the mock to own org.freedesktop.systemd1')
        rc = H.main(__file__, [
            test_commands_and_access,
            test_only_allowed_units_offered,
            test_unit_file_only,
            test_forged_unit_refused,
            test_alias_resolved_and_refused,
            test_confirm_stage,
            test_confirm_in_french,
            test_no_confirm_for_other_verbs,
            test_failed_job,
            test_job_timeout,
            test_access_denied,
            test_status,
            test_journal_lines_zero,
        ], policy=policy())
    finally:
        BUS.close(keep=rc != 0)
    sys.exit(rc)
