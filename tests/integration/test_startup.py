#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The agent gets online every time: repeated start/stop cycles against the same
server. Each start must log "online as" (login, bind, roster, presence) and
answer a command; each SIGTERM must end with exit code 0. A stall in the
connection sequence (for instance output libstrophe queued but the event loop
never flushed) shows up here as a start that never gets online."""

import sys
import time

import harness as H
from harness import expect

CYCLES = 25


def test_repeated_starts(env):
    alice = env.client('alice')
    times = []
    for i in range(CYCLES):
        if env.agent.running():
            env.agent.stop()
        mark = env.agent.log_mark()
        t0 = time.monotonic()
        env.agent.start(wait_online=False)
        try:
            env.agent.wait_online(since=mark, timeout=30)
        except H.Failure as e:
            last = env.agent.log_text()[mark:].splitlines()[-3:]
            raise H.Failure('start %d of %d did not get online: %s\nlast agent log lines:\n%s'
                            % (i + 1, CYCLES, e, '\n'.join(l[:300] for l in last)))
        times.append(time.monotonic() - t0)
        alice.execute(env.agent_jid, 'test/hello').expect_status('completed', 'start %d' % (i + 1))
    H.log('%d starts, slowest %.2fs' % (CYCLES, max(times)))
    expect(len(times) == CYCLES, 'not all starts completed')


if __name__ == '__main__':
    sys.exit(H.main(__file__, [test_repeated_starts]))
