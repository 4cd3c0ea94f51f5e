#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Service discovery (XEP-0030) of the agent: its features, the command list
filtered per requester, command nodes, and that a hidden command cannot be
told apart from one that does not exist."""

import sys

import harness as H
from harness import expect

AGENT_FEATURES = {
    H.NS_COMMANDS,
    H.NS_DATA,
    H.NS_XDATA_VALIDATE,
    H.NS_PING,
    H.NS_VERSION,
    H.NS_DISCO_INFO,
}


def features(reply):
    return {f.get('var') for f in reply.xml.iter('{%s}feature' % H.NS_DISCO_INFO)}


def identities(reply):
    return [(i.get('category'), i.get('type'), i.get('name'))
            for i in reply.xml.iter('{%s}identity' % H.NS_DISCO_INFO)]


def test_agent_features(env):
    for user in ('alice', 'mallory'):
        r = env.client(user).disco_info(env.agent_jid).expect_result('disco#info of the agent for %s' % user)
        missing = AGENT_FEATURES - features(r)
        expect(not missing, 'disco#info of the agent lacks %s' % sorted(missing), r)
        expect(identities(r), 'disco#info of the agent has no identity', r)


def test_command_list_per_requester(env):
    for user, visible in H.STANDARD_VISIBLE.items():
        cmds = env.client(user).commands(env.agent_jid)
        expect(set(cmds) == visible, '%s sees %s, expected %s' % (user, sorted(cmds), sorted(visible)))
        for node, name in cmds.items():
            expect(name, '%s: command %s has no name' % (user, node))
    cmds = env.client('alice').commands(env.agent_jid)
    expect(cmds['test/hello'] == 'Say hello', 'name of test/hello: %r' % cmds['test/hello'])


def test_stranger_sees_empty_list(env):
    r = env.client('mallory').disco_items(env.agent_jid).expect_result('disco#items for a stranger')
    items = list(r.xml.iter('{%s}item' % H.NS_DISCO_ITEMS))
    expect(not items, 'a stranger sees %d items' % len(items), r)


def test_command_node_info(env):
    for user, node in (('alice', 'test/hello'), ('alice', 'test/form'), ('bob', 'test/confirm')):
        r = env.client(user).disco_info(env.agent_jid, node).expect_result('disco#info of %s' % node)
        ids = identities(r)
        expect(any(c == 'automation' and t == 'command-node' for c, t, _ in ids),
               'disco#info of %s: identity %r, expected automation/command-node' % (node, ids), r)
        missing = {H.NS_COMMANDS, H.NS_DATA} - features(r)
        expect(not missing, 'disco#info of %s lacks %s' % (node, sorted(missing)), r)
        q = r.xml.find('{%s}query' % H.NS_DISCO_INFO)
        expect(q is not None and q.get('node') == node, 'disco#info of %s does not echo the node' % node, r)


def same_answer(a, a_node, b, b_node, what):
    ca = a.canonical(placeholders=[a_node])
    cb = b.canonical(placeholders=[b_node])
    expect(ca == cb, '%s: the answers differ, so the command list leaks:\n  hidden : %s\n  unknown: %s'
           % (what, ca, cb))


def test_hidden_node_info_same_as_unknown(env):
    cases = [('carol', 'test/hello'), ('mallory', 'test/admin'), ('bob', 'test/hello'),
             ('alice', 'test/confirm')]
    for user, node in cases:
        c = env.client(user)
        hidden = c.disco_info(env.agent_jid, node)
        hidden.expect_error('cancel', 'item-not-found', what='disco#info of %s for %s' % (node, user))
        unknown = c.disco_info(env.agent_jid, 'test/no-such-node')
        unknown.expect_error('cancel', 'item-not-found', what='disco#info of a missing node for %s' % user)
        same_answer(hidden, node, unknown, 'test/no-such-node', 'disco#info for %s' % user)


def test_hidden_execute_same_as_unknown(env):
    cases = [('carol', 'test/hello'), ('mallory', 'test/form'), ('bob', 'test/slow'),
             ('alice', 'test/admin')]
    for user, node in cases:
        c = env.client(user)
        hidden = c.execute(env.agent_jid, node)
        hidden.expect_error('cancel', 'item-not-found', what='execute %s as %s' % (node, user))
        unknown = c.execute(env.agent_jid, 'test/nothing-here')
        unknown.expect_error('cancel', 'item-not-found', what='execute a missing node as %s' % user)
        same_answer(hidden, node, unknown, 'test/nothing-here', 'execute as %s' % user)


def test_commands_node_info_answered(env):
    # The commands node itself is announced in disco#info of the node (XEP-0050 2.2).
    r = env.client('alice').disco_info(env.agent_jid, H.NS_COMMANDS)
    expect(r.type in ('result', 'error'), 'disco#info of the commands node is not answered', r)


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_agent_features,
        test_command_list_per_requester,
        test_stranger_sees_empty_list,
        test_command_node_info,
        test_hidden_node_info_same_as_unknown,
        test_hidden_execute_same_as_unknown,
        test_commands_node_info_answered,
    ]))
