#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""One thread, one loop, nothing blocks it: while alice's slow command (an
action that answers after 3 s) is running, other requests are answered. The
tests look at the order in which answers arrive, never at durations."""

import sys

import harness as H
from harness import expect


def start_slow(env, client):
    mark = env.agent.log_mark()
    el = client.iq_element('set', client.command_element('test/slow', 'execute'), env.agent_jid)
    fut = client.send_iq_async(el, timeout=60)
    # Make sure the slow request reached the agent before the others are sent.
    env.wait_agent_saw('test/slow', mark)
    expect(not fut.done(), 'the slow command answered before the others were sent')
    return fut


def race(env, slow_client, others):
    """others: [(label, client, iq element)]; returns the labels in order of arrival."""
    order = []
    slow = start_slow(env, slow_client)
    slow.add_done_callback(lambda f: order.append('slow'))
    futs = []
    for label, client, el in others:
        f = client.send_iq_async(el, timeout=60)
        f.add_done_callback(lambda _f, label=label: order.append(label))
        futs.append((label, f))
    results = {label: env.run_checked(f, 65) for label, f in futs}
    results['slow'] = env.run_checked(slow, 65)
    return order, results


def test_slow_does_not_delay_another_user(env):
    bob = env.client('bob')
    el = bob.iq_element('set', bob.command_element('test/admin', 'execute'), env.agent_jid)
    order, res = race(env, env.client('alice'), [('bob', bob, el)])
    res['bob'].expect_status('completed', "bob's quick command")
    res['slow'].expect_status('completed', "alice's slow command")
    expect(res['slow'].note_text() == 'slow done', 'slow note %r' % res['slow'].note_text(), res['slow'])
    expect(order == ['bob', 'slow'], "bob's answer must arrive before alice's slow one; order: %r" % order)


def test_slow_does_not_delay_disco_ping_or_forms(env):
    bob = env.client('bob')
    carol = env.client('carol')
    alice2 = env.client('alice', resource='second')
    q = H.ET.Element('{%s}query' % H.NS_DISCO_ITEMS, {'node': H.NS_COMMANDS})
    others = [
        ('disco', carol, carol.iq_element('get', q, env.agent_jid)),
        ('ping', bob, bob.iq_element('get', H.ET.Element('{%s}ping' % H.NS_PING), env.agent_jid)),
        ('form', bob, bob.iq_element('set', bob.command_element('test/confirm', 'execute'), env.agent_jid)),
        # The same person, from another device, is not held up by her own slow command.
        ('alice-hello', alice2, alice2.iq_element('set', alice2.command_element('test/hello', 'execute'),
                                                  env.agent_jid)),
    ]
    order, res = race(env, env.client('alice'), others)
    res['disco'].expect_result('disco during the slow command')
    res['ping'].expect_result('ping during the slow command')
    res['form'].expect_status('executing', 'form during the slow command')
    res['alice-hello'].expect_status('completed', 'alice/second during the slow command')
    res['slow'].expect_status('completed', 'the slow command')
    expect(order[-1] == 'slow', 'the slow answer must come last; order: %r' % order)
    bob.command(env.agent_jid, 'test/confirm', res['form'].sessionid, 'cancel').expect_status('canceled')


def test_parallel_slow_commands(env):
    # Two slow commands run side by side; each gets its own answer.
    a1 = env.client('alice', resource='one')
    a2 = env.client('alice', resource='two')
    f1 = a1.send_iq_async(a1.iq_element('set', a1.command_element('test/slow', 'execute'), env.agent_jid), 60)
    f2 = a2.send_iq_async(a2.iq_element('set', a2.command_element('test/slow', 'execute'), env.agent_jid), 60)
    r1 = env.run_checked(f1, 65).expect_status('completed', 'slow #1')
    r2 = env.run_checked(f2, 65).expect_status('completed', 'slow #2')
    expect(r1.sessionid != r2.sessionid, 'two runs share a sessionid', r1, r2)


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_slow_does_not_delay_another_user,
        test_slow_does_not_delay_disco_ping_or_forms,
        test_parallel_slow_commands,
    ]))
