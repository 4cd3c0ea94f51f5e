#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Access by roster group and JID: the agent's own roster decides. A roster
push by the owner takes effect at once, also for sessions already open; a
roster push forged by another user is refused and grants nothing."""

import sys

import harness as H
from harness import expect

POLICY = H.STANDARD_POLICY.replace('commands:\n', '''access:
  house: {groups: [flatmates], jids: [carol@example.test]}

commands:
  - node: test/by-jid
    name: Carol by JID
    allow: {jids: [carol@example.test]}
    reply: "carol by jid"

  - node: test/domain
    name: Anyone at the domain
    allow: {jids: ["*@example.test"]}
    deny: {jids: [mallory@example.test]}
    reply: "domain"

  - node: test/deny-wins
    name: Flatmates but not alice
    allow: {groups: [flatmates]}
    deny: {jids: [alice@example.test]}
    reply: "deny wins"

  - node: test/house
    name: House access list
    allow: house
    reply: "house"

  - node: test/nobody
    name: No allow at all
    reply: "nobody"

''', 1)

EXTRA = {
    'alice': {'test/domain', 'test/house'},
    'bob': {'test/domain'},
    'carol': {'test/by-jid', 'test/domain', 'test/house'},
    'mallory': set(),
}


def visible(user):
    return H.STANDARD_VISIBLE[user] | EXTRA[user]


def wait_commands(env, user, pred, what):
    c = env.client(user)
    return env.wait_until(lambda: pred(set(c.commands(env.agent_jid))), 30, what, interval=0.3)


def test_access_rules(env):
    for user in ('alice', 'bob', 'carol', 'mallory'):
        got = set(env.client(user).commands(env.agent_jid))
        expect(got == visible(user), '%s sees %s, expected %s' % (user, sorted(got), sorted(visible(user))))
    env.client('carol').execute(env.agent_jid, 'test/by-jid').expect_status('completed', 'carol by jid')
    env.client('alice').execute(env.agent_jid, 'test/deny-wins') \
        .expect_error('cancel', 'item-not-found', what='deny wins over allow')
    env.client('mallory').execute(env.agent_jid, 'test/domain') \
        .expect_error('cancel', 'item-not-found', what='mallory is denied by JID')
    for user in ('alice', 'bob', 'carol'):
        env.client(user).execute(env.agent_jid, 'test/nobody') \
            .expect_error('cancel', 'item-not-found', what='a command without allow: is for nobody')


def test_roster_push_grants_and_revokes(env):
    carol = env.client('carol')
    carol.execute(env.agent_jid, 'test/hello').expect_error('cancel', 'item-not-found', what='before the push')
    env.set_groups({'carol': ['flatmates']})
    wait_commands(env, 'carol', lambda s: 'test/hello' in s, 'carol to see test/hello after joining flatmates')
    carol.execute(env.agent_jid, 'test/hello').expect_status('completed', 'carol after joining flatmates')
    env.set_groups({'carol': []})
    wait_commands(env, 'carol', lambda s: 'test/hello' not in s, 'test/hello to disappear for carol')
    carol.execute(env.agent_jid, 'test/hello').expect_error('cancel', 'item-not-found', what='after leaving')


def test_groups_are_case_sensitive(env):
    # "admins" makes the push observable; "Flatmates" must not count as "flatmates".
    env.set_groups({'carol': ['Flatmates', 'admins']})
    got = wait_commands(env, 'carol', lambda s: 'test/admin' in s and s, 'carol to see test/admin')
    expect('test/hello' not in got, 'group "Flatmates" matched "flatmates": carol sees %s' % sorted(got))
    env.set_groups({'carol': []})
    wait_commands(env, 'carol', lambda s: 'test/admin' not in s, 'carol to lose test/admin')


def test_push_rechecks_open_session(env):
    alice = env.client('alice')
    sid = alice.execute(env.agent_jid, 'test/echo').expect_status('executing').sessionid
    env.set_groups({'alice': []})
    wait_commands(env, 'alice', lambda s: 'test/echo' not in s, 'test/echo to disappear for alice')
    r = alice.command(env.agent_jid, 'test/echo', sid, 'complete', {'colour': 'red'})
    expect(r.type == 'error' and r.status != 'completed',
           'a session opened before alice left flatmates still completed', r)
    env.set_groups({'alice': ['flatmates']})
    wait_commands(env, 'alice', lambda s: 'test/echo' in s, 'test/echo to come back for alice')


def test_removed_from_roster(env):
    env.setup().roster_remove(env.jid('bob'))
    wait_commands(env, 'bob', lambda s: 'test/admin' not in s, 'bob to lose test/admin')
    env.client('bob').execute(env.agent_jid, 'test/admin').expect_error('cancel', 'item-not-found',
                                                                       what='bob out of the roster')
    env.set_groups({'bob': ['admins']})
    wait_commands(env, 'bob', lambda s: 'test/admin' in s, 'bob to get test/admin back')


FORGED = ("<iq type='set' to='{to}'><query xmlns='jabber:iq:roster'>"
          "<item jid='{who}' subscription='both'><group>admins</group><group>flatmates</group></item>"
          "</query></iq>")


def test_forged_roster_push_refused(env):
    for user in ('mallory', 'carol'):
        c = env.client(user)
        r = c.raw_iq(FORGED.format(to=env.agent_jid, who=env.jid(user)))
        expect(r.type == 'error', 'a roster push forged by %s was accepted (type=%r)' % (user, r.type), r)
        # Had it been applied, the commands would show up at once.
        got = set(c.commands(env.agent_jid))
        expect(got == visible(user), 'after a forged push %s sees %s' % (user, sorted(got)))
        c.execute(env.agent_jid, 'test/admin').expect_error('cancel', 'item-not-found',
                                                            what='%s after a forged push' % user)
    # Nor may anyone push an item for somebody else.
    r = env.client('mallory').raw_iq(FORGED.format(to=env.agent_jid, who=env.jid('carol')))
    expect(r.type == 'error', 'a forged push about carol was accepted', r)
    got = set(env.client('carol').commands(env.agent_jid))
    expect(got == visible('carol'), 'after a forged push about carol she sees %s' % sorted(got))
    # The owner's own roster is untouched.
    roster = env.setup().roster_get()
    expect(env.jid('mallory') not in roster, 'mallory got into the roster: %r' % roster)


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_access_rules,
        test_roster_push_grants_and_revokes,
        test_groups_are_case_sensitive,
        test_push_rechecks_open_session,
        test_removed_from_roster,
        test_forged_roster_push_refused,
    ], policy=POLICY))
