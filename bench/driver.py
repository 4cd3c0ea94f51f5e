#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The benchmark's driver, run by bench/run.sh (see bench/README.md).

It sets up everything on loopback with the integration tests' own pieces: a private
Prosody with a generated CA and the accounts (tests/integration/harness.py), a private
session bus with tests/dbus/test-service on it (tests/integration/dbusenv.py), and the
agent with bench/bench.yaml. Then it runs build/bench/adhocd-bench once per phase, reads
its CSV rows, and writes the markdown table and a CSV file. Figures are reported against
the targets of the issue, never asserted: only a broken phase fails the run.
"""

import argparse
import csv
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))

import harness as H  # noqa: E402
import dbusenv  # noqa: E402

NODE_REPLY = 'bench/reply'
NODE_DBUS = 'bench/dbus'
NODE_EXEC = 'bench/exec'
NODE_FORM = 'bench/form'
CONCURRENCY = (1, 4, 16, 64)

# How much each phase does. "quick" is the smoke test's: every phase, a few requests each.
PROFILES = {
    'full': dict(accounts=16, latency=2000, warmup=200, dbus=2000, exec=500, spawn=500,
                 multistage=1000, tp_duration=10, tp_warmup=1, soak=100000, soak_concurrency=16,
                 sessions=1000, probe=2000, startup=5, callgrind=500),
    'quick': dict(accounts=4, latency=100, warmup=20, dbus=100, exec=20, spawn=50,
                  multistage=30, tp_duration=1, tp_warmup=0.3, soak=2000, soak_concurrency=16,
                  sessions=50, probe=100, startup=1, callgrind=50),
}

TARGET_AGENT_CPU_US = 50
TARGET_RATIO = 1.3
TARGET_IDLE_RSS_KIB = 8 * 1024
TARGET_RSS_RETURN = 0.10


class PhaseFailed(Exception):
    pass


def log(msg):
    H.log('bench: ' + msg)


def proc_status(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise PhaseFailed('no %s for pid %d' % (key, pid))


def rss_kib(pid):
    return proc_status(pid, 'VmRSS')


def smaps_rollup(pid):
    """Pss and the private part (pages no other process maps) from /proc/PID/smaps_rollup."""
    v = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == 'kB':
                v[parts[0].rstrip(':')] = int(parts[1])
    return {'pss': v['Pss'], 'private': v['Private_Clean'] + v['Private_Dirty']}


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_description():
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open('/proc/meminfo') as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    prosody = '?'
    try:
        out = subprocess.run(['dpkg-query', '-W', '-f=${Version}', 'prosody'], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        prosody = out.strip() or '?'
    except OSError:
        pass
    return '%d x %s, %d MiB RAM, Linux %s, Prosody %s' % (
        os.cpu_count() or 0, cpu, mem, platform.release(), prosody)


class Bench:
    def __init__(self, args):
        self.args = args
        self.p = PROFILES['quick' if args.quick else 'full']
        self.build = os.path.abspath(args.build_dir)
        self.bench_bin = os.path.join(self.build, 'bench', 'adhocd-bench')
        self.agent_bin = os.path.join(self.build, 'adhocd')
        self.service_bin = os.path.join(self.build, 'tests', 'dbus', 'test-service')
        self.out = os.path.abspath(args.out)
        self.results = {}   # phase -> {metric: value (str)}
        self.extra = {}     # driver's own figures: metric -> value
        self.errors = []    # phases whose requests failed
        self.env = None
        self.bus = None
        self.service = None
        self.password_file = None
        self.started = time.monotonic()

    # ---- set-up, with the integration tests' pieces

    def setup(self):
        for path in (self.bench_bin, self.agent_bin, self.service_bin):
            H.expect(os.path.exists(path), '%s is missing: run meson compile -C %s bench'
                     % (path, self.build))
        self.env = H.Env('adhocd-bench')
        env = self.env
        env.prosody.log_level = 'warn'  # a debug log would make the server the bottleneck
        if self.args.no_smacks:
            H.prosody_has_module = lambda name: name != 'smacks' and _has_module(name)
        password = H.make_password()
        users = ['agent'] + ['bench%d' % i for i in range(1, self.p['accounts'] + 1)]
        t = time.monotonic()
        env.start_server(users=users, passwords={u: password for u in users[1:]})
        log('server with %d accounts ready in %.1f s' % (len(users), time.monotonic() - t))
        self.password_file = os.path.join(env.dir, 'bench.password')
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(password + '\n')
        # bench1 sees the agent's presence: the start-up phase waits for it.
        env.subscribe_to_agent('bench1')
        self.close_clients()

        self.bus = dbusenv.PrivateBus().start()
        self.service = dbusenv.TestService(self.bus, binary=self.service_bin)
        self.service.start()
        os.environ['DBUS_SESSION_BUS_ADDRESS'] = self.bus.address
        os.environ.pop('DBUS_SYSTEM_BUS_ADDRESS', None)

        with open(os.path.join(HERE, 'bench.yaml')) as f:
            self.policy = f.read()
        self.start_agent()

    def close_clients(self):
        """The harness's slixmpp clients are only for set-up: nothing serves them later."""
        env = self.env
        for c in list(env.clients.values()):
            c.close()
        env.clients.clear()
        if env._setup is not None:
            env._setup.close()
            env._setup = None

    def start_agent(self):
        self.env.start_agent(self.policy, binary=self.agent_bin, verbose=False)
        log('agent online as %s (pid %d)' % (self.env.agent_jid, self.env.agent.proc.pid))

    def teardown(self, failed):
        if self.service is not None:
            self.service.stop()
        if self.bus is not None:
            self.bus.close(keep=failed)
        if self.env is not None:
            self.env.close(failed=failed)

    # ---- running adhocd-bench

    @property
    def agent_pid(self):
        return self.env.agent.proc.pid

    def pid_args(self, *names):
        pids = {'agent': self.agent_pid if self.env.agent.running() else None,
                'server': self.env.prosody.proc.pid,
                'bus': self.bus.proc.pid if self.bus else None,
                'service': self.service.proc.pid if self.service else None}
        out = []
        for n in names:
            if pids.get(n):
                out += ['--pid', '%s=%d' % (n, pids[n])]
        return out

    def xmpp_args(self, accounts=None):
        env = self.env
        return ['--host', H.HOST, '--port', str(env.prosody.port), '--domain', env.domain,
                '--user', 'bench', '--accounts', str(accounts or self.p['accounts']),
                '--password-file', self.password_file, '--ca', env.pki.ca_cert]

    def run(self, phase, scenario, args, pids=('agent', 'server'), xmpp=True, tail=(),
            timeout=600):
        argv = [self.bench_bin, '--phase', phase]
        if xmpp:
            argv += self.xmpp_args()
        argv += list(args) + self.pid_args(*pids)
        if self.args.verbose:
            argv.append('--verbose')
        argv.append(scenario)
        argv += list(tail)
        t = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                           timeout=timeout)
        rows = {}
        for line in p.stdout.splitlines():
            parts = line.split(',', 2)
            if len(parts) == 3:
                self.results.setdefault(parts[0], {})[parts[1]] = parts[2]
                rows.setdefault(parts[0], {})[parts[1]] = parts[2]
        if p.returncode not in (0, 1) or phase not in rows:
            raise PhaseFailed('%s: adhocd-bench exited with %d\n  %s'
                              % (phase, p.returncode, ' '.join(argv)))
        if p.returncode == 1:
            self.errors.append(phase)
            log('%s: some requests failed (see above)' % phase)
        log('%-14s done in %5.1f s' % (phase, time.monotonic() - t))
        if self.env.agent is not None and not self.env.agent.stopping:
            self.env.agent.check_alive()
        return rows[phase]

    def to(self):
        return ['--to', self.env.agent_jid]

    def counted(self, n, warmup=None):
        return ['--count', str(n), '--warmup', str(self.p['warmup'] if warmup is None else warmup)]

    # ---- the phases

    def phase_latency(self):
        p = self.p
        self.run('ping_server', 'ping', ['--to', self.env.domain] + self.counted(p['latency']))
        self.run('ping_agent', 'ping', self.to() + self.counted(p['latency']))
        self.run('reply', 'command', self.to() + ['--node', NODE_REPLY] + self.counted(p['latency']))
        self.run('dbus', 'command', self.to() + ['--node', NODE_DBUS] + self.counted(p['dbus']),
                 pids=('agent', 'server', 'bus', 'service'))
        self.run('dbus_bare', 'dbus-bare', ['--bus', self.bus.address] + self.counted(p['dbus']),
                 pids=('bus', 'service'), xmpp=False)
        self.run('exec', 'command', self.to() + ['--node', NODE_EXEC]
                 + self.counted(p['exec'], warmup=min(50, p['warmup'])))
        self.run('spawn_bare', 'spawn-bare', self.counted(p['spawn'], warmup=20), pids=(),
                 xmpp=False)
        self.run('fork_bare', 'fork-bare', self.counted(p['spawn'], warmup=20), pids=(),
                 xmpp=False)
        self.run('multistage', 'multistage', self.to() + ['--node', NODE_FORM]
                 + self.counted(p['multistage'], warmup=min(50, p['warmup'])))

    def phase_throughput(self):
        for k in CONCURRENCY:
            self.run('throughput_%d' % k, 'command',
                     self.to() + ['--node', NODE_REPLY, '--concurrency', str(k),
                                  '--duration', str(self.p['tp_duration']),
                                  '--warmup-time', str(self.p['tp_warmup'])])

    def sample_memory(self, when):
        """VmRSS, as the targets use it; its private part (Private_Clean + Private_Dirty) and
        the anonymous part of that (RssAnon), where leaks show; Pss."""
        self.extra['rss_%s_kib' % when] = rss_kib(self.agent_pid)
        self.extra['anon_%s_kib' % when] = proc_status(self.agent_pid, 'RssAnon')
        for k, v in smaps_rollup(self.agent_pid).items():
            self.extra['%s_%s_kib' % (k, when)] = v

    def phase_memory(self):
        p = self.p
        self.sample_memory('warm')
        self.phase_throughput()
        self.sample_memory('before_soak')
        self.run('soak', 'command', self.to() + ['--node', NODE_REPLY, '--concurrency',
                                                 str(p['soak_concurrency'])]
                 + self.counted(p['soak'], warmup=0))
        time.sleep(1)
        self.sample_memory('after_soak')
        self.run('sessions', 'sessions', self.to() + ['--node', NODE_FORM, '--count',
                                                      str(p['sessions']), '--probe', str(p['probe']),
                                                      '--probe-node', NODE_REPLY],
                 pids=('agent',))
        # Again: memory kept by the allocator is reused, a leak would grow a second time.
        self.run('sessions_again', 'sessions', self.to() + ['--node', NODE_FORM, '--count',
                                                            str(p['sessions']), '--probe', '0'],
                 pids=('agent',))
        time.sleep(1)
        self.sample_memory('final')

    def phase_startup(self):
        agent = self.env.agent
        agent.stop()
        self.run('startup', 'startup',
                 ['--to', agent.bare, '--node', NODE_REPLY, '--count', str(self.p['startup']),
                  '--log', agent.log_path],
                 pids=('server',), tail=['--', self.agent_bin, '--config', agent.config])

    def phase_callgrind(self):
        """Instructions per request in the agent, under callgrind: noise-free figures."""
        if not shutil.which('valgrind') or not shutil.which('callgrind_control'):
            log('callgrind: valgrind is not installed; skipped')
            return
        out = os.path.join(self.out, 'callgrind')
        os.makedirs(out, exist_ok=True)
        for old in os.listdir(out):
            os.remove(os.path.join(out, old))
        agent = self.env.agent
        os.environ['ADHOCD_WRAPPER'] = ('valgrind --tool=callgrind --instr-atstart=no '
                                        '--callgrind-out-file=%s/callgrind.out' % out)
        mark = agent.log_mark()
        try:
            agent.start(wait_online=False)
        finally:
            del os.environ['ADHOCD_WRAPPER']
        agent.wait_online(since=mark, timeout=300)
        pid = agent.proc.pid
        n = self.p['callgrind']
        # Warm the caches (D-Bus introspection, allocator) before counting.
        self.run('cg_warm', 'command', self.to() + ['--node', NODE_DBUS] + self.counted(20, 0))
        self.run('cg_warm', 'multistage', self.to() + ['--node', NODE_FORM] + self.counted(10, 0))
        steps = [('ping', 'ping', []), ('reply', 'command', ['--node', NODE_REPLY]),
                 ('dbus', 'command', ['--node', NODE_DBUS]),
                 ('multistage', 'multistage', ['--node', NODE_FORM])]
        subprocess.run(['callgrind_control', '-i', 'on', str(pid)], check=True,
                       stdout=subprocess.DEVNULL)
        for i, (name, scenario, args) in enumerate(steps, 1):
            subprocess.run(['callgrind_control', '-z', str(pid)], check=True,
                           stdout=subprocess.DEVNULL)
            self.run('cg_' + name, scenario, self.to() + args + self.counted(n, 0))
            subprocess.run(['callgrind_control', '-d', 'cg_' + name, str(pid)], check=True,
                           stdout=subprocess.DEVNULL)
        subprocess.run(['callgrind_control', '-i', 'off', str(pid)], check=True,
                       stdout=subprocess.DEVNULL)
        agent.stop(timeout=120)
        for i, (name, _, _) in enumerate(steps, 1):
            dump = '%s/callgrind.out.%d' % (out, i)
            total = callgrind_total(dump)
            if total is not None:
                self.extra['cg_%s_ir' % name] = total / n
                with open(os.path.join(out, 'annotate-%s.txt' % name), 'w') as f:
                    subprocess.run(['callgrind_annotate', '--inclusive=yes', dump], stdout=f,
                                   stderr=subprocess.DEVNULL)
        log('callgrind profiles in %s' % out)

    def run_callgrind_only(self):
        self.setup()
        self.phase_callgrind()
        self.extra['runtime_s'] = time.monotonic() - self.started

    def run_all(self):
        self.setup()
        time.sleep(1.5)  # let the agent settle after its login
        self.sample_memory('idle')
        self.extra['loadavg_start'] = loadavg()
        self.phase_latency()
        self.phase_memory()
        self.phase_startup()
        if self.args.callgrind:
            self.phase_callgrind()
        # Every request of the bench has a fresh id: an answer replayed by the agent's
        # redelivery de-duplication would not measure the command at all.
        self.extra['agent_replays'] = self.env.agent.log_text().count('a resent command iq')
        self.extra['loadavg_end'] = loadavg()
        self.extra['runtime_s'] = time.monotonic() - self.started


def _has_module(name, _orig=H.prosody_has_module):
    return _orig(name)


def callgrind_total(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith('summary:') or line.startswith('totals:'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


# --------------------------------------------------------------------------
# The report


def num(results, phase, metric):
    try:
        return float(results[phase][metric])
    except (KeyError, ValueError):
        return None


def fmt(v, digits=3):
    if v is None:
        return 'n/a'
    if digits == 0:
        return '%d' % round(v)
    return '%.*f' % (digits, v)


def yes_no(ok):
    return 'n/a' if ok is None else ('yes' if ok else '**no**')


def report(b):
    r = b.results
    x = b.extra
    lines = []
    add = lines.append

    def latency_row(label, phase, prefix='rtt', cpu=True):
        add('| %s | %s | %s | %s | %s | %s |' % (
            label, fmt(num(r, phase, prefix + '_n'), 0), fmt(num(r, phase, prefix + '_p50_ms')),
            fmt(num(r, phase, prefix + '_p90_ms')), fmt(num(r, phase, prefix + '_p99_ms')),
            fmt(num(r, phase, 'agent_cpu_us_per_cmd'), 1) if cpu else '-'))

    add('### Round trips (one request at a time)')
    add('')
    add('| Measurement | n | p50 ms | p90 ms | p99 ms | agent CPU µs/request |')
    add('|---|---:|---:|---:|---:|---:|')
    latency_row('XEP-0199 ping to the server (client → server → client)', 'ping_server', cpu=False)
    latency_row('XEP-0199 ping to the agent (baseline)', 'ping_agent')
    latency_row('`reply:` command', 'reply')
    latency_row('`dbus:` command (EchoS on the test service)', 'dbus')
    latency_row('bare sd-bus call, same bus and method (bench)', 'dbus_bare', cpu=False)
    latency_row('`exec:` command (/bin/true)', 'exec')
    latency_row('bare posix_spawn + waitpid of /bin/true (bench)', 'spawn_bare', cpu=False)
    latency_row('bare fork + execve + waitpid of /bin/true (bench)', 'fork_bare', cpu=False)
    latency_row('multi-stage, stage 1: execute → 10-field form', 'multistage', 'stage1', cpu=False)
    latency_row('multi-stage, stage 2: submit 10 fields → confirmation', 'multistage', 'stage2',
                cpu=False)
    latency_row('multi-stage, stage 3: confirm → completed', 'multistage', 'stage3', cpu=False)
    latency_row('multi-stage, whole command (3 round trips)', 'multistage')
    add('')

    add('### Throughput of the `reply:` command (closed loop, %s s per row)' % fmt(b.p['tp_duration'], 0))
    add('')
    add('| requesters | commands/s | p50 ms | p90 ms | p99 ms | agent CPU µs/cmd | agent CPU % '
        '| server CPU µs/cmd | server CPU % | bench CPU % |')
    add('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for k in CONCURRENCY:
        ph = 'throughput_%d' % k
        add('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            k, fmt(num(r, ph, 'cmds_per_s'), 0), fmt(num(r, ph, 'rtt_p50_ms')),
            fmt(num(r, ph, 'rtt_p90_ms')), fmt(num(r, ph, 'rtt_p99_ms')),
            fmt(num(r, ph, 'agent_cpu_us_per_cmd'), 1), fmt(num(r, ph, 'agent_cpu_pct'), 0),
            fmt(num(r, ph, 'server_cpu_us_per_cmd'), 1), fmt(num(r, ph, 'server_cpu_pct'), 0),
            fmt(num(r, ph, 'bench_cpu_pct'), 0)))
    add('')

    add('### Memory of the agent')
    add('')
    soak_n = num(r, 'soak', 'cmds')
    n_sessions = num(r, 'sessions', 'sessions_open')
    add('| When | VmRSS KiB | private KiB | of which anonymous (RssAnon) KiB | Pss KiB |')
    add('|---|---:|---:|---:|---:|')

    def driver_sample(when):
        return [x.get('%s_%s_kib' % (k, when)) for k in ('rss', 'private', 'anon', 'pss')]

    def bench_sample(phase, when):
        return [num(r, phase, '%s_%s_kib' % (k, when)) for k in ('rss', 'private', 'anon', 'pss')]

    for label, values in (
            ('idle, after connect', driver_sample('idle')),
            ('after the round-trip phases: the level before the run', driver_sample('warm')),
            ('after the throughput phases', driver_sample('before_soak')),
            ('after %s more commands (%d requesters)' % (fmt(soak_n, 0), b.p['soak_concurrency']),
             driver_sample('after_soak')),
            ('with %s sessions open' % fmt(n_sessions, 0), bench_sample('sessions', 'open')),
            ('after canceling them', bench_sample('sessions', 'after')),
            ('after opening and canceling %s sessions again: the level after the run'
             % fmt(num(r, 'sessions_again', 'sessions_open'), 0), driver_sample('final'))):
        add('| %s | %s |' % (label, ' | '.join(fmt(v, 0) for v in values)))
    add('')
    add('| `reply:` command, one at a time | p50 ms | agent CPU µs/cmd |')
    add('|---|---:|---:|')
    for label, ph in (('no session open', 'sessions.no_sessions'),
                      ('%s sessions open' % fmt(num(r, 'sessions', 'sessions_open'), 0),
                       'sessions.with_sessions')):
        add('| %s | %s | %s |' % (label, fmt(num(r, ph, 'rtt_p50_ms')),
                                  fmt(num(r, ph, 'agent_cpu_us_per_cmd'), 1)))
    add('')

    add('### Start-up (Prosody running; %s rounds)' % fmt(num(r, 'startup', 'online_n'), 0))
    add('')
    add('| From process start to | median ms | min ms | max ms |')
    add('|---|---:|---:|---:|')
    for label, prefix in (('the agent\'s presence (online)', 'online'),
                          ('the first command answered', 'first_answer')):
        add('| %s | %s | %s | %s |' % (label, fmt(num(r, 'startup', prefix + '_p50_ms'), 1),
                                       fmt(num(r, 'startup', prefix + '_min_ms'), 1),
                                       fmt(num(r, 'startup', prefix + '_max_ms'), 1)))
    add('')

    if any(k.startswith('cg_') for k in x):
        lines.append(callgrind_report(b))

    add('### Targets (reported, not asserted)')
    add('')
    add('| Target | Measured | Met |')
    add('|---|---|---|')
    for row in targets(b):
        add('| %s | %s | %s |' % row)
    add('')
    errors = sum(int(num(r, ph, 'errors') or 0) for ph in r)
    add('Failed requests: %d%s. Answers the agent replayed instead of running the command: %s. '
        'Run time: %s s. Load average (1 min) at the start: %s, at the end: %s.'
        % (errors, ' (in %s)' % ', '.join(b.errors) if b.errors else '',
           fmt(x.get('agent_replays'), 0), fmt(x.get('runtime_s'), 0),
           fmt(x.get('loadavg_start'), 2), fmt(x.get('loadavg_end'), 2)))
    return '\n'.join(lines) + '\n'


def callgrind_report(b):
    x = b.extra
    lines = ['### Instructions per request in the agent (callgrind)', '',
             '| Request | instructions |', '|---|---:|']
    for name, label in (('ping', 'XEP-0199 ping'), ('reply', '`reply:` command'),
                        ('dbus', '`dbus:` command'),
                        ('multistage', 'multi-stage command (3 stages)')):
        lines.append('| %s | %s |' % (label, fmt(x.get('cg_%s_ir' % name), 0)))
    return '\n'.join(lines) + '\n'


def targets(b):
    r = b.results
    x = b.extra
    rows = []
    top = 'throughput_%d' % CONCURRENCY[-1]
    cpu1 = num(r, 'throughput_1', 'agent_cpu_us_per_cmd')
    cpu_top = num(r, top, 'agent_cpu_us_per_cmd')
    rows.append(('agent CPU per `reply:` command < %d µs' % TARGET_AGENT_CPU_US,
                 '%s µs (1 requester), %s µs (%d requesters)' % (fmt(cpu1, 1), fmt(cpu_top, 1),
                                                                CONCURRENCY[-1]),
                 yes_no(None if cpu1 is None else cpu1 < TARGET_AGENT_CPU_US)))
    ping = num(r, 'ping_agent', 'rtt_p50_ms')
    reply = num(r, 'reply', 'rtt_p50_ms')
    ratio = reply / ping if ping and reply else None
    rows.append(('ad-hoc p50 ≤ %.1f × ping p50' % TARGET_RATIO,
                 '%s / %s ms = %s ×' % (fmt(reply), fmt(ping), fmt(ratio, 2)),
                 yes_no(None if ratio is None else ratio <= TARGET_RATIO)))
    dbus = num(r, 'dbus', 'rtt_p50_ms')
    bare = num(r, 'dbus_bare', 'rtt_p50_ms')
    bound = ping + 2 * bare if ping is not None and bare is not None else None
    rows.append(('D-Bus p50 ≤ ping p50 + 2 × bare D-Bus call',
                 '%s ms vs %s + 2 × %s = %s ms' % (fmt(dbus), fmt(ping), fmt(bare), fmt(bound)),
                 yes_no(None if bound is None or dbus is None else dbus <= bound)))
    idle = x.get('rss_idle_kib')
    private = x.get('private_idle_kib')
    shared = idle - private if idle is not None and private is not None else None
    rows.append(('idle RSS < 8 MiB', '%s KiB: private %s KiB (anonymous %s KiB), pages of shared '
                 'libraries also mapped by other processes %s KiB; Pss %s KiB'
                 % (fmt(idle, 0), fmt(private, 0), fmt(x.get('anon_idle_kib'), 0), fmt(shared, 0),
                    fmt(x.get('pss_idle_kib'), 0)),
                 yes_no(None if idle is None else idle < TARGET_IDLE_RSS_KIB)))
    rows.append(('(not a target) idle private memory < 8 MiB', '%s KiB' % fmt(private, 0),
                 yes_no(None if private is None else private < TARGET_IDLE_RSS_KIB)))
    a = num(r, top, 'agent_cpu_pct')
    s = num(r, top, 'server_cpu_pct')
    rows.append(('throughput bounded by the server, not the agent (%d requesters)' % CONCURRENCY[-1],
                 'agent %s %% of a core, server %s %%' % (fmt(a, 0), fmt(s, 0)),
                 yes_no(None if a is None or s is None else a < s)))
    before = x.get('rss_warm_kib')
    after = x.get('rss_final_kib')
    growth = (after - before) / before if before and after else None
    rows.append(('RSS after the run within 10 %% of before (%s commands, %s sessions)'
                 % (fmt(num(r, 'soak', 'cmds'), 0), fmt(num(r, 'sessions', 'sessions_open'), 0)),
                 '%s → %s KiB (%s%%)' % (fmt(before, 0), fmt(after, 0),
                                        fmt(None if growth is None else growth * 100, 1)),
                 'n/a' if growth is None else ('pass' if abs(growth) <= TARGET_RSS_RETURN
                                               else '**fail**')))
    return rows


def write_outputs(b, table):
    os.makedirs(b.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    path = os.path.join(b.out, 'bench-%s%s.csv' % (stamp, '-quick' if b.args.quick else ''))
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['phase', 'metric', 'value'])
        for phase in b.results:
            for metric, value in b.results[phase].items():
                w.writerow([phase, metric, value])
        for metric, value in b.extra.items():
            w.writerow(['driver', metric, value])
        w.writerow(['driver', 'machine', machine_description()])
    shutil.copyfile(path, os.path.join(b.out, 'latest.csv'))
    with open(os.path.join(b.out, 'latest.md'), 'w') as f:
        f.write('Machine: %s\n\n' % machine_description())
        f.write(table)
    return path


def check_table(table, b):
    """The smoke test's check: every row there, every figure a number, no failed request."""
    problems = []
    expected = ['ping to the agent', '`reply:` command', '`dbus:` command', 'bare sd-bus',
                '`exec:` command', 'posix_spawn', 'stage 1', 'stage 2', 'stage 3',
                'idle, after connect', 'sessions open', 'first command answered']
    for e in expected:
        if e not in table:
            problems.append('row %r is missing' % e)
    for line in table.splitlines():
        if line.startswith('|') and not line.startswith('|---'):
            cells = [c.strip() for c in line.strip('|').split('|')]
            if 'n/a' in cells:
                problems.append('a figure is missing: %s' % line)
            if len(cells) < 2:
                problems.append('malformed row: %s' % line)
    if b.errors:
        problems.append('requests failed in %s' % ', '.join(b.errors))
    if b.extra.get('agent_replays'):
        problems.append('the agent replayed %d answers instead of running the commands'
                        % b.extra['agent_replays'])
    return problems


def main(argv):
    ap = argparse.ArgumentParser(description='adhocd benchmark (run it through bench/run.sh)')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--out', default=os.path.join(HERE, 'results'),
                    help='where the CSV and the table go (default bench/results)')
    ap.add_argument('--quick', action='store_true', help='a few requests per phase, 1 s phases')
    ap.add_argument('--smoke', action='store_true',
                    help='--quick, then check that the table is complete (the meson test)')
    ap.add_argument('--callgrind', action='store_true',
                    help='also count the agent\'s instructions per request under callgrind')
    ap.add_argument('--callgrind-only', action='store_true',
                    help='only the callgrind phase: instructions per request, about 1 minute')
    ap.add_argument('--no-smacks', action='store_true',
                    help='run Prosody without stream management (XEP-0198)')
    ap.add_argument('--verbose', action='store_true', help='timestamps of each phase\'s steps')
    args = ap.parse_args(argv)
    if args.smoke:
        args.quick = True
    if args.callgrind_only:
        args.callgrind = True
    if H.slixmpp is None:
        print('python3-slixmpp is missing for /usr/bin/python3 (run tools/install-deps.sh)')
        return 1
    signal.signal(signal.SIGTERM, H._raise_terminated)
    signal.signal(signal.SIGHUP, H._raise_terminated)
    # The integration tests' valgrind wrapper would measure valgrind, not the agent.
    os.environ.pop('ADHOCD_WRAPPER', None)

    b = Bench(args)
    failed = True
    try:
        if args.callgrind_only:
            b.run_callgrind_only()
        else:
            b.run_all()
        failed = False
    except (H.Failure, PhaseFailed, subprocess.TimeoutExpired, H.Terminated, KeyboardInterrupt) as e:
        log('FAILED: %s' % (e or type(e).__name__))
    except Exception as e:  # a bug of the driver: still stop everything it started
        log('FAILED: %s: %s' % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
    finally:
        b.teardown(failed)
    table = callgrind_report(b) if args.callgrind_only else report(b)
    path = write_outputs(b, table)
    print()
    print(table)
    print('CSV: %s' % path)
    if failed:
        return 1
    if args.smoke:
        problems = check_table(table, b)
        for p in problems:
            print('smoke: %s' % p)
        return 1 if problems else 0
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
