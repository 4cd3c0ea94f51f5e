#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""subscriptions.accept: the agent approves presence subscriptions only from the listed JIDs
or domains; other requests stay pending for the owner. The check is by order, not by time:
carol asks first, alice second; once alice is approved, the agent has already handled
carol's request, and carol must still be waiting."""

import sys

import harness as H
from harness import expect

POLICY = H.STANDARD_POLICY + '''
subscriptions:
  accept: [alice@example.test, '*@partner.test']
'''


def subscription(client, env):
    return client.roster_get().get(env.jid('agent'), {}).get('subscription')


def test_only_listed_contacts_are_accepted(env):
    mark = env.agent.log_mark()
    carol = env.client('carol')
    carol.roster_get()
    carol.xmpp.send_presence(pto=env.jid('agent'), ptype='subscribe')
    env.agent.wait_log(r'carol@example\.test left pending', since=mark, timeout=30)
    alice = env.client('alice')
    alice.roster_get()
    alice.xmpp.send_presence(pto=env.jid('agent'), ptype='subscribe')
    env.wait_until(lambda: subscription(alice, env) in ('to', 'both'), H.START_TIMEOUT,
                   'alice to be subscribed to the agent')
    expect(subscription(carol, env) in (None, 'none'),
           'carol was not listed but got subscription %r' % subscription(carol, env))
    log = env.agent.log_text()[mark:]
    expect('Accepted the subscription request of alice@example.test' in log,
           'no log line for the accepted request:\n' + log[-2000:])


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_only_listed_contacts_are_accepted], policy=POLICY))
