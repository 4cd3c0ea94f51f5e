#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""SIGHUP reloads the configuration atomically: a broken file is rejected and
the old policy stays in force; a valid one applies at once, and open sessions
are re-checked at their next stage."""

import re
import signal
import sys

import harness as H
from harness import expect

NEW_COMMAND = '''
  - node: test/new
    name: Added by a reload
    allow: {groups: [flatmates]}
    reply: "new command here"
'''

# Valid policy without test/hello and test/echo, plus test/new.
CHANGED = H.STANDARD_POLICY.replace('''  - node: test/hello
    name: Say hello
    allow: {groups: [flatmates]}
    reply: "Hello from the agent"
''', NEW_COMMAND).replace('''  - node: test/echo
    name: Echo
    allow: {groups: [flatmates]}''', '''  - node: test/echo
    name: Echo
    allow: {groups: [admins]}''')
assert 'test/new' in CHANGED and 'test/hello' not in CHANGED

BROKEN = [
    ('a YAML syntax error', H.STANDARD_POLICY + '\n  - node: [unclosed\n'),
    ('an unknown key', H.STANDARD_POLICY.replace('    reply: "Admin task done"',
                                                 '    reply: "Admin task done"\n    colour: blue')),
    ('a duplicate node', H.STANDARD_POLICY + NEW_COMMAND.replace('test/new', 'test/admin')),
    ('a template naming an undeclared field', H.STANDARD_POLICY.replace('Restarted {unit}', 'Restarted {nope}')),
    ('no action', H.STANDARD_POLICY.replace('    reply: "Admin task done"\n', '')),
]

RELOAD_FAILED = re.compile(r'(?im)^.*(reload.*(fail|reject|invalid|error|keep)|'
                           r'(fail|reject|invalid|error|keep).*reload).*$')


def wait_reload_failed(env, mark, what):
    def found():
        # The run directory's name contains "reload": leave paths out of the match.
        text = env.agent.log_text()[mark:].replace(env.dir, '<dir>')
        return RELOAD_FAILED.search(text)
    env.wait_until(found, 30, 'a log line saying the reload with %s failed' % what, interval=0.2)


def alice_works(env, what):
    alice = env.client('alice')
    alice.execute(env.agent_jid, 'test/hello').expect_status('completed', what)
    got = set(alice.commands(env.agent_jid))
    expect(got == H.STANDARD_VISIBLE['alice'], '%s: alice sees %s' % (what, sorted(got)))


def test_broken_config_keeps_old_policy(env):
    alice_works(env, 'before any reload')
    for what, text in BROKEN:
        mark = env.agent.log_mark()
        env.agent.write_config(text)
        env.agent.send_signal(signal.SIGHUP)
        wait_reload_failed(env, mark, what)
        alice_works(env, 'after a reload with %s' % what)
        env.client('bob').execute(env.agent_jid, 'test/admin').expect_status('completed', 'bob after %s' % what)


def test_valid_reload_applies(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/echo').expect_status('executing').sessionid
    form_sid = alice.execute(env.agent_jid, 'test/form').expect_status('executing').sessionid
    env.agent.write_config(CHANGED)
    env.agent.send_signal(signal.SIGHUP)
    got = env.wait_until(lambda: 'test/new' in set(alice.commands(env.agent_jid)) and
                         set(alice.commands(env.agent_jid)), 30, 'test/new to appear after SIGHUP',
                         interval=0.3)
    expect('test/hello' not in got and 'test/echo' not in got, 'after the reload alice sees %s' % sorted(got))
    alice.execute(env.agent_jid, 'test/new').expect_status('completed', 'the new command')
    alice.execute(env.agent_jid, 'test/hello').expect_error('cancel', 'item-not-found', what='a removed command')
    # Open sessions are re-checked: alice may no longer run test/echo.
    r = alice.command(env.agent_jid, 'test/echo', sid, 'complete', {'colour': 'red'})
    expect(r.type == 'error' and r.status != 'completed',
           'a session of a command alice lost in the reload still completed', r)
    # A session of a command that is unchanged goes on.
    alice.command(env.agent_jid, 'test/form', form_sid, 'complete',
                  {'colour': 'red', 'count': '2', 'name': 'A', 'code': 'abc'}) \
        .expect_status('completed', 'a session of an unchanged command across the reload')


def test_reload_back(env):
    env.agent.write_config(H.STANDARD_POLICY)
    env.agent.send_signal(signal.SIGHUP)
    alice = env.client('alice')
    env.wait_until(lambda: set(alice.commands(env.agent_jid)) == H.STANDARD_VISIBLE['alice'], 30,
                   'the original command list after the second reload', interval=0.3)
    alice_works(env, 'after reloading the original file')


def test_many_reloads(env):
    # Reloads in quick succession neither crash the agent nor lose the policy.
    for i in range(10):
        env.agent.write_config(H.STANDARD_POLICY if i % 2 else BROKEN[0][1])
        env.agent.send_signal(signal.SIGHUP)
        env.sleep(0.05)
    env.agent.write_config(H.STANDARD_POLICY)
    env.agent.send_signal(signal.SIGHUP)
    env.sleep(0.5)
    alice_works(env, 'after a burst of reloads')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_broken_config_keeps_old_policy,
        test_valid_reload_applies,
        test_reload_back,
        test_many_reloads,
    ]))
