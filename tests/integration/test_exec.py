#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The exec: action end to end: a real Prosody, the real agent and slixmpp as the
requester. The programs are small /bin/sh scripts written into the test's own
directory, and a few system programs run directly (/usr/bin/env, /bin/ls, /bin/grep),
so that what the child sees is observed from inside the child with no shell in
between.

What is proved (see issue 4): a form value always reaches the program as exactly
one argument, whatever it holds, and "{x...}" gives one argument per value; the
environment is clean; no descriptor above 2 and no blocked or ignored signal
reaches the child; a timeout kills the whole process group; max_concurrent, the
per-requester share and exec_max_concurrent refuse with wait/resource-constraint
while others are still served; detach: true answers at once and sends the outcome
as a message; failures, output modes, truncation, cancel and the audit line; and
after all that the agent holds no extra descriptor and no child.

Waits poll with generous deadlines; the tests look at order and outcomes, never
at durations. A slow program waits for a "release" file that the test creates,
so "answered while the other one was running" never depends on timing."""

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys

import harness as H
from harness import expect

# One requester may hold half of the slots (rounded up): 2 of these 4.
GLOBAL_MAX = 4
BIG = 10 * 1024 * 1024
PID_DEADLINE = 10 * H._SLOW

# Values that a shell would treat specially, or that an argument parser could read as
# options, or that could be mistaken for a template. Each must arrive unchanged.
SPECIAL = [
    ';', '|', '&', '$(touch PWNED)', '`touch PWNED`', "'", '"', '*', '?', '~', '-rf',
    '-', '--help', '-x --long=1', '$HOME', '${PATH}', '\\', '\\n', 'a b  c', 'tab\there',
    '{from}', '{v00}', '{{', '<x>&amp;</x>', '%s %n %%', 'é 日本 🙂',
    "a; rm -rf ~/* | cat && echo $(id) `id` 'q' \"dq\" > /dev/null & ?",
    ' leading and trailing spaces ',
]

# Written into <dir>/bin/, mode 0755. The scripts are programs like any other: the
# agent runs them with execve(), and the kernel starts /bin/sh for the #! line.
SCRIPTS = {
    # One line per argument, hex-encoded, so that the comparison is byte for byte.
    'argv.sh': r'''#!/bin/sh
echo "argc=$#"
for a in "$@"; do
  printf 'A:%s\n' "$(printf '%s' "$a" | od -An -v -tx1 | tr -d ' \n')"
done
''',
    'stdin.sh': r'''#!/bin/sh
printf 'IN:%s\n' "$(od -An -v -tx1 | tr -d ' \n')"
''',
    # $1: directory of the "running.<pid>" markers; $2: the release file.
    'slow.sh': r'''#!/bin/sh
: > "$1/running.$$"
i=0
while [ ! -e "$2" ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
rm -f "$1/running.$$"
echo "slow done"
''',
    'quick.sh': r'''#!/bin/sh
echo "quick $*"
''',
    # $1: where to publish "<own pid> <grandchild pid>". The grandchild ignores SIGTERM,
    # so only the SIGKILL sent to the process group after kill_grace ends it.
    'family.sh': r'''#!/bin/sh
(trap '' TERM; exec sleep 1000) &
echo "$$ $!" > "$1.tmp"
mv "$1.tmp" "$1"
echo "family started" >&2
wait
''',
    'fail.sh': r'''#!/bin/sh
echo "some output"
echo "first problem" >&2
echo "the last words" >&2
exit 3
''',
    # About 100 KB of stderr: only its tail is shown, starting at a line.
    'bigerr.sh': r'''#!/bin/sh
i=0
while [ $i -lt 2000 ]; do
  echo "noise line $i: lorem ipsum dolor sit amet, consectetur" >&2
  i=$((i + 1))
done
echo "FINAL LINE" >&2
exit 1
''',
    # 10 MiB on stdout and on stderr at once: both pipes must be drained.
    'spew.sh': r'''#!/bin/sh
head -c %d /dev/zero | tr '\0' x | tee /dev/stderr
''' % BIG,
    'text.sh': r'''#!/bin/sh
printf 'line one\nline two\n\n  indented\tand tab\n'
''',
    'table.sh': r'''#!/bin/sh
printf 'name\tsize\tnote\n'
printf 'alpha\t1\tfirst\n'
printf 'beta\t22\t$(not a command) * ;\n'
''',
    # Exists when the policy is loaded; the test removes it before running it.
    'vanish.sh': '#!/bin/sh\necho "still here"\n',
    # $1: release file; $2: exit status.
    'detach.sh': r'''#!/bin/sh
i=0
while [ ! -e "$1" ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
echo "detached output"
echo "detached stderr" >&2
exit "$2"
''',
    # Proves that it got the secret without ever printing it.
    'secret.sh': r'''#!/bin/sh
[ "$2" = "--password=$3" ] && echo "consistent"
printf '%s' "$3" | sha256sum | cut -d' ' -f1
''',
    # Bytes that are not text, or not allowed in XML.
    'binary.sh': r'''#!/bin/sh
printf 'A\001B\033[31mC\303\050D\357\277\276E\000G\r\nF\n'
''',
    # Not executable: --check-config must refuse it.
    'noexec.sh': '#!/bin/sh\necho never\n',
}

N_SPECIAL = len(SPECIAL)
V_FIELDS = ['v%02d' % i for i in range(N_SPECIAL)]


class Paths:
    def __init__(self, base):
        self.dir = os.path.join(base, 'exec')
        self.bin = os.path.join(self.dir, 'bin')
        self.run = os.path.join(self.dir, 'run')

    def prog(self, name):
        return os.path.join(self.bin, name)

    def file(self, name):
        return os.path.join(self.run, name)


P = None  # the Paths of this run, set by test_policy_is_valid
INHERITED_FD = None  # a descriptor the agent inherits without close-on-exec


def q(s):
    return json.dumps(s)  # a JSON string is a valid YAML scalar


def write_scripts(p):
    os.makedirs(p.bin, exist_ok=True)
    os.makedirs(p.run, exist_ok=True)
    os.chmod(p.dir, 0o755)
    os.chmod(p.bin, 0o755)
    for name, text in SCRIPTS.items():
        path = p.prog(name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o644 if name == 'noexec.sh' else 0o755)


def run_as_nobody():
    """The user: test runs only when the agent may drop privileges, i.e. as root."""
    if os.geteuid() != 0:
        return None
    try:
        import pwd
        return pwd.getpwnam('nobody')
    except (KeyError, ImportError):
        return None


def policy(p):
    argv_fields = '\n'.join('        - {var: %s, type: text-single}' % v for v in V_FIELDS)
    argv_args = ', '.join('"{%s}"' % v for v in V_FIELDS)
    text = '''
sessions:
  idle_timeout: 10m
  max_per_requester: 50
  max_total: 500
  rate_per_minute: 100000

exec_max_concurrent: {global_max}

access:
  users: {{groups: [flatmates, admins]}}

commands:
  - node: exec/argv
    name: Arguments
    allow: users
    form:
      fields:
{argv_fields}
        - {{var: m, type: text-multi}}
        - {{var: l, type: list-multi, options: [red, green, blue]}}
        - {{var: e, type: text-multi}}
    exec:
      argv: [{argv}, {argv_args}, "--opt={{v00}}", "x{{v01}}y", "{{m...}}", "{{l...}}", "{{e...}}", "{{m}}", "{{l}}"]
      max_output: 1MiB

  - node: exec/stdin
    name: Standard input
    allow: users
    form:
      fields:
        - {{var: body, type: text-single}}
    exec:
      argv: [{stdin}]
      stdin: "<{{body}}>"

  - node: exec/env
    name: Environment
    allow: users
    form:
      fields:
        - {{var: who, type: text-single}}
        - {{var: tags, type: list-multi, options: [a, b, c]}}
        - {{var: my-var, type: text-single}}
    exec:
      argv: [/usr/bin/env]
      env: {{GREETING: "hello {{who}}", LANG: C.UTF-8}}
      output: text

  - node: exec/fds
    name: Descriptors
    allow: users
    exec:
      argv: [/bin/ls, -l, /proc/self/fd/]
      output: text

  - node: exec/signals
    name: Signals
    allow: users
    exec:
      argv: [/bin/grep, -E, "^Sig(Blk|Ign):", /proc/self/status]

  - node: exec/cwd
    name: Working directory
    allow: users
    exec:
      argv: [/bin/pwd]
      cwd: {run}

  - node: exec/timeout
    name: Times out
    allow: users
    exec:
      argv: [{family}, {family_pid}]
      timeout: 1s
      kill_grace: 1s

  - node: exec/cancel
    name: Canceled while running
    allow: users
    form:
      fields:
        - {{var: tag, type: text-single, required: true}}
    exec:
      argv: [{family}, {cancel_pid}]
      timeout: 5m

  - node: exec/slow-a
    name: Slow, one at a time
    allow: users
    exec:
      argv: [{slow}, {run}, {release_slow}]
      timeout: 5m
      max_concurrent: 1

  - node: exec/slow-b
    name: Slow, four at a time
    allow: users
    exec:
      argv: [{slow}, {run}, {release_slow}]
      timeout: 5m
      max_concurrent: 4

  - node: exec/quick
    name: Quick
    allow: {{groups: [flatmates, admins, guests]}}
    exec:
      argv: [{quick}, "{{from_bare}}"]

  - node: exec/hello
    name: Not a program
    allow: {{groups: [flatmates, admins, guests]}}
    reply: "hello without a program"

  - node: exec/detach
    name: Detached
    allow: users
    exec:
      argv: [{detach}, {release_detach}, "0"]
      detach: true
      timeout: 5m

  - node: exec/detach-fail
    name: Detached, fails
    allow: users
    exec:
      argv: [{detach}, {release_detach}, "4"]
      detach: true
      timeout: 5m

  - node: exec/fail
    name: Fails
    allow: users
    exec:
      argv: [{fail}]

  - node: exec/bigerr
    name: Fails loudly
    allow: users
    exec:
      argv: [{bigerr}]

  - node: exec/vanish
    name: Program removed after loading
    allow: users
    exec:
      argv: [{vanish}]

  - node: exec/spew
    name: 10 MiB of output
    allow: users
    exec:
      argv: [{spew}]

  - node: exec/spew-text
    name: 10 MiB of output as text
    allow: users
    exec:
      argv: [{spew}]
      output: text
      max_output: 4KiB

  - node: exec/text
    name: Text output
    allow: users
    exec:
      argv: [{text_sh}]
      output: text

  - node: exec/table
    name: Table output
    allow: users
    exec:
      argv: [{table}]
      output: table

  - node: exec/hold
    name: Held until released
    allow: users
    exec:
      argv: [{slow}, {run}, {release_hold}]
      timeout: 5m

  - node: exec/detach-hold
    name: Detached, held until the agent stops
    allow: users
    exec:
      argv: [{family}, {shutdown_pid}]
      detach: true
      timeout: 5m

  - node: exec/running-at-stop
    name: Still running when the agent stops
    allow: users
    exec:
      argv: [{family}, {stop_pid}]
      timeout: 5m

  - node: exec/binary
    name: Binary output
    allow: users
    exec:
      argv: [{binary}]

  - node: exec/stdin-count
    name: Counts its input
    allow: users
    form:
      fields:
        - {{var: big, type: text-single}}
    exec:
      argv: [/usr/bin/wc, -c]
      stdin: "{{big}}{{big}}{{big}}{{big}}{{big}}"

  - node: exec/stdin-ignored
    name: Does not read its input
    allow: users
    form:
      fields:
        - {{var: big, type: text-single}}
    exec:
      argv: [/bin/true]
      stdin: "{{big}}{{big}}{{big}}{{big}}{{big}}"

  - node: exec/secret
    name: Secret argument
    allow: users
    form:
      fields:
        - {{var: user, type: text-single, required: true}}
        - {{var: pw, type: text-private, required: true}}
    exec:
      argv: [{secret}, "--user={{user}}", "--password={{pw}}", "{{pw}}"]
'''.format(global_max=GLOBAL_MAX, argv_fields=argv_fields, argv=q(p.prog('argv.sh')),
           argv_args=argv_args, stdin=q(p.prog('stdin.sh')), run=q(p.run),
           family=q(p.prog('family.sh')), family_pid=q(p.file('timeout.pids')),
           cancel_pid=q(p.file('cancel.pids')), slow=q(p.prog('slow.sh')),
           release_slow=q(p.file('release-slow')), quick=q(p.prog('quick.sh')),
           detach=q(p.prog('detach.sh')), release_detach=q(p.file('release-detach')),
           fail=q(p.prog('fail.sh')), bigerr=q(p.prog('bigerr.sh')),
           vanish=q(p.prog('vanish.sh')), spew=q(p.prog('spew.sh')),
           text_sh=q(p.prog('text.sh')), table=q(p.prog('table.sh')),
           secret=q(p.prog('secret.sh')), release_hold=q(p.file('release-hold')),
           shutdown_pid=q(p.file('shutdown.pids')), binary=q(p.prog('binary.sh')),
           stop_pid=q(p.file('stop.pids')))
    if run_as_nobody() is not None:
        text += '''
  - node: exec/as-nobody
    name: Runs as nobody
    allow: users
    exec:
      argv: [/usr/bin/id]
      user: nobody
'''
    return text


# --------------------------------------------------------------------------
# Helpers


def run_form(client, env, node, values, lang=None):
    """execute, then complete with values; returns the final Reply."""
    r = client.execute(env.agent_jid, node, lang=lang).expect_status('executing', 'execute %s' % node)
    return client.command(env.agent_jid, node, r.sessionid, 'complete', values, lang=lang)


def send_execute(client, env, node, timeout=120):
    """Starts node without waiting; returns the future of its answer."""
    el = client.iq_element('set', client.command_element(node, 'execute'), env.agent_jid)
    return client.send_iq_async(el, timeout=timeout)


def decode_args(note, what, r):
    lines = note.split('\n')
    expect(lines and lines[0].startswith('argc='), '%s: no argc line in %r' % (what, note), r)
    args = []
    for line in lines[1:]:
        expect(line.startswith('A:'), '%s: unexpected line %r' % (what, line), r)
        args.append(bytes.fromhex(line[2:]).decode('utf-8'))
    expect(int(lines[0][5:]) == len(args), '%s: argc %s but %d arguments' % (what, lines[0], len(args)), r)
    return args


def pid_state(pid):
    """The state letter of pid (R, S, Z...), or None when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data.rsplit(')', 1)[1].split()[0]


@contextlib.contextmanager
def no_leftovers(*pids):
    """After a failure, no test program may outlive the test."""
    try:
        yield
    except BaseException:
        for pid in pids:
            if pid_state(pid) not in (None, 'Z', 'X'):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        raise


def wait_reaped(env, pid, what):
    """The agent's own child: gone, not even a zombie (the agent reaps it)."""
    env.wait_until(lambda: pid_state(pid) is None, PID_DEADLINE,
                   '%s (pid %d) to be gone and reaped' % (what, pid))


def wait_dead(env, pid, what):
    """A grandchild: dead. Its zombie, if any, belongs to init, not to the agent."""
    def dead():
        st = pid_state(pid)
        return st is None or st in ('Z', 'X')
    env.wait_until(dead, PID_DEADLINE, '%s (pid %d) to be killed' % (what, pid))


def read_pids(env, path):
    text = env.wait_until(lambda: os.path.exists(path) and open(path).read().strip(), 30 * H._SLOW,
                          'the program to publish its pids in %s' % path)
    child, grandchild = (int(x) for x in text.split())
    return child, grandchild


def running_markers():
    return sorted(f for f in os.listdir(P.run) if f.startswith('running.'))


def wait_running(env, n):
    env.wait_until(lambda: len(running_markers()) == n, 30 * H._SLOW,
                   '%d slow programs to be running (now %r)' % (n, running_markers()))


def agent_pid(env):
    return env.agent.proc.pid


def agent_fds(env):
    d = '/proc/%d/fd' % agent_pid(env)
    out = {}
    for name in os.listdir(d):
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except OSError:
            pass
    return out


def agent_children(env):
    """(pid, state, comm) of every process whose parent is the agent."""
    me = agent_pid(env)
    out = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                data = f.read()
        except OSError:
            continue
        comm = data[data.index('(') + 1:data.rindex(')')]
        rest = data.rsplit(')', 1)[1].split()
        if int(rest[1]) == me:
            out.append((int(name), rest[0], comm))
    return out


def vm_hwm_kib(env):
    with open('/proc/%d/status' % agent_pid(env)) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return None


def audit_lines(env, mark, node):
    return [l for l in env.agent.log_text()[mark:].splitlines()
            if 'audit:' in l and ('node=%s ' % node) in l and 'stage=exec' in l]


def check_config(env, text, name):
    path = os.path.join(P.dir, name)
    with open(path, 'w') as f:
        f.write(text)
    p = subprocess.run([env.agent.binary, '--check-config', '--config', path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, timeout=60)
    return p.returncode, p.stdout, path


# --------------------------------------------------------------------------
# Tests


def test_policy_is_valid(env):
    """Writes the programs, checks the policy with --check-config and starts the agent."""
    global P, INHERITED_FD
    P = Paths(env.dir)
    write_scripts(P)
    text = policy(P)
    # Something the agent's environment holds and no child may see.
    os.environ['EXEC_TEST_CANARY'] = 'must-not-leak'
    # And a descriptor without close-on-exec, as a careless parent would leave it: the
    # agent's own descriptors are all close-on-exec, so only this one tests the closing.
    rd, wr = os.pipe()
    INHERITED_FD = os.dup2(wr, 77)
    os.close(rd)
    os.close(wr)
    try:
        env.start_agent(text, pass_fds=(INHERITED_FD,))
    finally:
        os.close(INHERITED_FD)
    expect(INHERITED_FD in agent_fds(env), 'the agent did not inherit descriptor %d' % INHERITED_FD)
    code, out, _ = check_config(env, open(env.agent.config).read(), 'copy.yaml')
    expect(code == 0, '--check-config refuses the test policy (exit %d):\n%s' % (code, out))
    expect(': error:' not in out, '--check-config reports errors:\n%s' % out)


def test_values_are_single_arguments(env):
    """(1) and (2): every value, whatever it holds, is exactly one unchanged argument;
    "{x...}" gives one argument per value; "{x}" joins them into one."""
    alice = env.client('alice')
    values = dict(zip(V_FIELDS, SPECIAL))
    multi = ['first line\nsecond; line', '$(third) `x`', '-rf', '*', '~', "it's \"quoted\""]
    values['m'] = multi
    values['l'] = ['red', 'blue']
    r = run_form(alice, env, 'exec/argv', values).expect_status('completed', 'exec/argv')
    expect([t for t, _ in r.notes] == ['info'], 'expected one info note, got %r' % r.notes, r)
    got = decode_args(r.notes[0][1], 'exec/argv', r)
    m_lines = ['first line', 'second; line', '$(third) `x`', '-rf', '*', '~', "it's \"quoted\""]
    want = list(SPECIAL) + ['--opt=' + SPECIAL[0], 'x' + SPECIAL[1] + 'y'] + m_lines + \
        ['red', 'blue'] + [', '.join(m_lines), 'red, blue']
    problems = []
    if len(got) != len(want):
        problems.append('expected %d arguments, the program got %d' % (len(want), len(got)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            problems.append('argument %d: sent %r, the program got %r' % (i + 1, w, g))
    expect(not problems, 'exec/argv:\n  ' + '\n  '.join(problems), r)
    for where in ('/', P.run, env.agent.dir):
        expect(not os.path.exists(os.path.join(where, 'PWNED')), 'a value was run by a shell in %s' % where)


def test_stdin(env):
    alice = env.client('alice')
    value = "$(id) `id` ; | & ' \" * é"
    r = run_form(alice, env, 'exec/stdin', {'body': value}).expect_status('completed', 'exec/stdin')
    note = r.note_text()
    expect(note.startswith('IN:'), 'exec/stdin: note %r' % note, r)
    got = bytes.fromhex(note[3:]).decode('utf-8')
    expect(got == '<%s>' % value, 'stdin: expected %r, the program read %r' % ('<%s>' % value, got), r)


def parse_env(lines):
    """env's output as {name: value}; a line that does not start NAME= continues a value."""
    out, last = {}, None
    for line in lines:
        m = re.match(r'^([A-Za-z_][A-Za-z0-9_]*)=(.*)$', line)
        if m and m.group(1) not in out:
            last = m.group(1)
            out[last] = m.group(2)
        elif last is not None:
            out[last] += '\n' + line
    return out


def test_clean_environment(env):
    """(3): only PATH, env:, ADHOCD_REQUESTER(_FULL), ADHOCD_NODE, ADHOCD_LANG and
    ADHOCD_FIELD_<VAR>; nothing of the agent's own environment."""
    alice = env.client('alice')
    base = {
        'PATH': '/usr/local/bin:/usr/bin:/bin',
        'GREETING': 'hello World; $(x)',
        'LANG': 'C.UTF-8',
        'ADHOCD_REQUESTER': alice.bare,
        'ADHOCD_REQUESTER_FULL': alice.jid,
        'ADHOCD_NODE': 'exec/env',
        'ADHOCD_FIELD_WHO': 'World; $(x)',
        'ADHOCD_FIELD_TAGS': 'a\nc',
        'ADHOCD_FIELD_MY_VAR': '-v',
    }
    values = {'who': 'World; $(x)', 'tags': ['a', 'c'], 'my-var': '-v'}
    for lang in ('fr', 'de-CH', ''):
        if lang:
            r = run_form(alice, env, 'exec/env', values, lang=lang)
        else:
            # xml:lang="" says "no language" (slixmpp always puts one on its stream).
            el = alice.iq_element('set', alice.command_element('exec/env', 'execute'), env.agent_jid,
                                  attrs={H.XML_LANG: ''})
            r = alice.send_iq(el).expect_status('executing', 'exec/env without a language')
            r = alice.command(env.agent_jid, 'exec/env', r.sessionid, 'complete', values)
        r.expect_status('completed', 'exec/env')
        out = r.fields.get('output')
        expect(out is not None and out.type == 'text-multi', 'exec/env: no text-multi "output" field', r)
        got = parse_env(out.values)
        want = dict(base, ADHOCD_LANG=lang) if lang else dict(base)
        expect(set(got) == set(want), 'environment names: expected %s, got %s (extra %s, missing %s)'
               % (sorted(want), sorted(got), sorted(set(got) - set(want)), sorted(set(want) - set(got))), r)
        expect(got == want, 'environment values: expected %r, got %r' % (want, got), r)


def test_no_descriptor_above_2(env):
    """(4): /bin/ls, run directly, lists /proc/self/fd: 0, 1, 2 and the directory it reads."""
    def check(lines, what, r=None):
        fds = {}
        for line in lines:
            m = re.search(r' (\d+) -> (.*)$', line)
            if m:
                fds[int(m.group(1))] = m.group(2)
        expect({0, 1, 2} <= set(fds), '%s: stdin/stdout/stderr are not all open: %r' % (what, fds), r)
        extra = {fd: t for fd, t in fds.items() if fd > 2}
        own = [fd for fd, t in extra.items() if re.fullmatch(r'/proc/\d+/fd', t)]
        expect(len(own) == 1, '%s: expected ls\'s own directory among %r' % (what, extra), r)
        del extra[own[0]]
        return fds, extra

    # The probe itself must see a leaked descriptor: hand it one.
    rd, wr = os.pipe()
    try:
        p = subprocess.run(['/bin/ls', '-l', '/proc/self/fd/'], stdout=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL, pass_fds=(rd,), timeout=30)
    finally:
        os.close(rd)
        os.close(wr)
    _, extra = check(p.stdout.splitlines(), 'probe self-test')
    expect(rd in extra, 'probe self-test: ls did not report the descriptor %d it was given: %r' % (rd, extra))

    r = env.client('alice').execute(env.agent_jid, 'exec/fds').expect_status('completed', 'exec/fds')
    out = r.fields.get('output')
    expect(out is not None, 'exec/fds: no output field', r)
    fds, extra = check(out.values, 'exec/fds', r)
    expect(not extra, 'the program inherited descriptors above 2: %r (the agent inherited %d)'
           % (extra, INHERITED_FD), r)
    expect(fds[0] == '/dev/null', 'stdin of a program without stdin: is %r, expected /dev/null' % fds[0], r)
    expect(fds[1].startswith('pipe:') and fds[2].startswith('pipe:'),
           'stdout/stderr should be pipes: %r %r' % (fds[1], fds[2]), r)


def test_signals_reset(env):
    r = env.client('alice').execute(env.agent_jid, 'exec/signals').expect_status('completed', 'exec/signals')
    got = dict(line.split(':', 1) for line in r.note_text().split('\n'))
    got = {k: int(v.strip(), 16) for k, v in got.items()}
    expect(got == {'SigBlk': 0, 'SigIgn': 0},
           'the program starts with blocked or ignored signals: %r' % r.note_text(), r)


def test_cwd(env):
    r = env.client('alice').execute(env.agent_jid, 'exec/cwd').expect_status('completed', 'exec/cwd')
    expect(r.note_text() == P.run, 'cwd: expected %r, got %r' % (P.run, r.note_text()), r)


def test_timeout_kills_the_group(env):
    """(5): at the timeout the group gets SIGTERM, then SIGKILL after kill_grace: the
    grandchild, which ignores SIGTERM, dies too, and the requester gets an error note."""
    alice = env.client('alice')
    mark = env.agent.log_mark()
    fut = send_execute(alice, env, 'exec/timeout')
    child, grandchild = read_pids(env, P.file('timeout.pids'))
    with no_leftovers(child, grandchild):
        r = env.run_checked(fut, 120).expect_status('completed', 'exec/timeout')
        expect([t for t, _ in r.notes] == ['error'], 'a timeout must give one error note, got %r' % r.notes, r)
        note = r.notes[0][1]
        expect('timed out after 1 s' in note and 'process group' in note, 'note %r' % note, r)
        expect('family started' in note, "the note should end with stderr's tail: %r" % note, r)
        wait_reaped(env, child, 'the timed-out program')
        wait_dead(env, grandchild, 'its grandchild, which ignores SIGTERM')
    lines = audit_lines(env, mark, 'exec/timeout')
    expect(lines and 'outcome=timeout' in lines[-1], 'audit of the timeout: %r' % lines)


def test_limits(env):
    """(6): max_concurrent, one requester's share and exec_max_concurrent each answer
    wait/resource-constraint, while others are served at once."""
    alice1 = env.client('alice', resource='one')
    alice2 = env.client('alice', resource='two')
    alice3 = env.client('alice', resource='three')
    bob, bob2 = env.client('bob'), env.client('bob', resource='two')
    carol = env.client('carol')
    release = P.file('release-slow')
    pending = []
    try:
        slow_a = send_execute(alice1, env, 'exec/slow-a')
        pending.append(slow_a)
        wait_running(env, 1)

        # max_concurrent: 1 of exec/slow-a.
        r = alice2.execute(env.agent_jid, 'exec/slow-a')
        r.expect_error('wait', 'resource-constraint', what='a second exec/slow-a')
        expect('already running' in (r.error[3] or ''), 'error text %r' % (r.error[3],), r)
        # Another user's command answers while alice's is still running.
        q = bob.execute(env.agent_jid, 'exec/quick').expect_status('completed', "bob's exec/quick")
        expect(q.note_text() == 'quick %s' % bob.bare, 'note %r' % q.note_text(), q)
        expect(not slow_a.done(), "alice's slow program answered before bob's quick one")

        # Alice's share is 2 of the 4 slots.
        fut = send_execute(alice2, env, 'exec/slow-b')
        pending.append(fut)
        wait_running(env, 2)
        r = alice3.execute(env.agent_jid, 'exec/slow-b')
        r.expect_error('wait', 'resource-constraint', what="alice's third program")
        expect('share' in (r.error[3] or ''), 'error text %r' % (r.error[3],), r)
        # She may still run what is not a program.
        alice3.execute(env.agent_jid, 'exec/hello').expect_status('completed', 'alice, a reply command')

        # Bob fills the other two slots: now nobody may start a program.
        for c in (bob, bob2):
            pending.append(send_execute(c, env, 'exec/slow-b'))
        wait_running(env, 4)
        r = carol.execute(env.agent_jid, 'exec/quick')
        r.expect_error('wait', 'resource-constraint', what='a fifth program')
        expect('Too many programs' in (r.error[3] or ''), 'error text %r' % (r.error[3],), r)
        carol.execute(env.agent_jid, 'exec/hello').expect_status('completed', 'carol, a reply command')
        expect(not any(f.done() for f in pending), 'a slow program answered before its release')
    finally:
        open(release, 'w').close()
    for f in pending:
        r = env.run_checked(f, 120).expect_status('completed', 'a released slow program')
        expect(r.note_text() == 'slow done', 'note %r' % r.note_text(), r)
    wait_running(env, 0)
    # The slots are free again.
    carol.execute(env.agent_jid, 'exec/quick').expect_status('completed', 'carol after the release')


def test_detach(env):
    """(7): "started" at once, the outcome later as a chat message to the full JID."""
    alice = env.client('alice', resource='detach')
    release = P.file('release-detach')
    r = alice.execute(env.agent_jid, 'exec/detach').expect_status('completed', 'exec/detach')
    expect(r.notes == [('info', 'Started; the outcome will be sent as a message.')],
           'notes %r' % r.notes, r)
    r = alice.execute(env.agent_jid, 'exec/detach-fail').expect_status('completed', 'exec/detach-fail')
    # Both programs are still waiting for the release file: no outcome yet.
    expect(not [m for m in alice.messages if m[0] == env.agent_jid],
           'an outcome arrived before the programs could finish: %r' % alice.messages)
    open(release, 'w').close()

    def outcome(node):
        def pred(frm, mtype, body, el):
            return frm == env.agent_jid and body is not None and body.startswith('[%s]' % node)
        return pred
    frm, mtype, body, el = alice.wait_message(outcome('exec/detach'), 60 * H._SLOW,
                                             'the outcome of exec/detach as a message')
    expect(mtype == 'chat', 'the outcome should be a chat message, got type=%r' % mtype)
    expect(el.get('to') == alice.jid, 'the outcome went to %r, expected the full JID %r'
           % (el.get('to'), alice.jid))
    expect(body == '[exec/detach] detached output', 'message body %r' % body)
    frm, mtype, body, el = alice.wait_message(outcome('exec/detach-fail'), 60 * H._SLOW,
                                             'the outcome of exec/detach-fail as a message')
    expect('exit status 4' in body and 'detached stderr' in body, 'message body %r' % body)
    expect(el.get('to') == alice.jid, 'the failure went to %r' % el.get('to'))


def test_failures(env):
    """(8): status and stderr's tail; a program that is gone names its path and errno."""
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'exec/fail').expect_status('completed', 'exec/fail')
    expect(r.notes == [('error', 'exit status 3\nfirst problem\nthe last words')], 'notes %r' % r.notes, r)

    r = alice.execute(env.agent_jid, 'exec/bigerr').expect_status('completed', 'exec/bigerr')
    expect(len(r.notes) == 1 and r.notes[0][0] == 'error', 'notes %r' % r.notes, r)
    note = r.notes[0][1]
    head, _, tail = note.partition('\n')
    expect(head == 'exit status 1', 'first line %r' % head, r)
    expect(tail.startswith('\u2026noise line ') and tail.endswith('\nFINAL LINE'),
           "stderr's tail should start at a line, marked with an ellipsis, and end with the last line: %r"
           % tail[:80], r)
    expect(len(tail.encode()) <= 2048 + 3, "stderr's tail is %d bytes" % len(tail.encode()), r)

    os.rename(P.prog('vanish.sh'), P.prog('vanish.sh') + '.away')
    try:
        r = alice.execute(env.agent_jid, 'exec/vanish').expect_status('completed', 'exec/vanish')
    finally:
        # A reload would refuse the policy without it.
        os.rename(P.prog('vanish.sh') + '.away', P.prog('vanish.sh'))
    expect(r.notes == [('error', 'cannot execute %s: No such file or directory' % P.prog('vanish.sh'))],
           'notes %r' % r.notes, r)


def test_check_config_refuses_bad_programs(env):
    """(8): a missing or non-executable argv[0] is an error at its line and column."""
    missing = os.path.join(P.bin, 'missing')
    noexec = P.prog('noexec.sh')
    lines = env.agent.account_yaml().rstrip('\n').split('\n') + [
        'commands:',
        '  - node: bad/missing',
        '    name: Missing',
        '    allow: {groups: [admins]}',
        '    exec:',
        '      argv: [%s, "-v"]' % missing,
        '  - node: bad/noexec',
        '    name: Not executable',
        '    allow: {groups: [admins]}',
        '    exec: {argv: [%s]}' % noexec,
        '  - node: bad/relative',
        '    name: Relative',
        '    allow: {groups: [admins]}',
        '    exec:',
        '      argv: [bin/true]',
    ]
    if os.geteuid() != 0:
        lines += [
            '  - node: bad/user',
            '    name: User',
            '    allow: {groups: [admins]}',
            '    exec: {argv: [/bin/true], user: nobody}',
        ]
    code, out, path = check_config(env, '\n'.join(lines) + '\n', 'bad.yaml')
    expect(code == 1, '--check-config of bad.yaml: exit %d, expected 1:\n%s' % (code, out))

    def pos(needle, line_marker='argv:'):
        """FILE:LINE:COL of needle on the first line holding both."""
        for i, l in enumerate(lines):
            if needle in l and line_marker in l:
                return '%s:%d:%d' % (path, i + 1, l.index(needle) + 1)
        raise H.Failure('%r not in the test config' % needle)
    want = [
        "%s: error: argv[0] '%s' cannot be executed: No such file or directory" % (pos(missing), missing),
        "%s: error: argv[0] '%s' is not executable: Permission denied" % (pos(noexec), noexec),
        "%s: error: argv[0] 'bin/true' must be an absolute path" % pos('bin/true'),
    ]
    if os.geteuid() != 0:
        want.append('%s: error: user: and group: need the agent to run as root' % pos('nobody', 'user: nobody'))
    for w in want:
        expect(any(l.startswith(w) for l in out.splitlines()), 'expected a line starting with\n  %s\nin:\n%s'
               % (w, out))


def test_output_text_and_table(env):
    """(9): output: text gives a text-multi result field, output: table <reported>/<item>."""
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'exec/text').expect_status('completed', 'exec/text')
    expect(r.form_type == 'result', 'exec/text: expected <x type="result">, got %r' % r.form_type, r)
    out = r.fields.get('output')
    expect(out is not None and out.type == 'text-multi', 'exec/text: no text-multi field', r)
    expect(out.values == ['line one', 'line two', '', '  indented\tand tab'], 'values %r' % out.values, r)

    r = alice.execute(env.agent_jid, 'exec/table').expect_status('completed', 'exec/table')
    x = r.form
    expect(x is not None and x.get('type') == 'result', 'exec/table: expected a result form', r)
    rep = x.find('{%s}reported' % H.NS_DATA)
    expect(rep is not None, 'exec/table: no <reported/>', r)
    cols = [f.get('var') for f in rep.findall('{%s}field' % H.NS_DATA)]
    expect(cols == ['name', 'size', 'note'], 'columns %r' % cols, r)
    rows = []
    for item in x.findall('{%s}item' % H.NS_DATA):
        rows.append({f.get('var'): f.findtext('{%s}value' % H.NS_DATA)
                     for f in item.findall('{%s}field' % H.NS_DATA)})
    expect(rows == [{'name': 'alpha', 'size': '1', 'note': 'first'},
                    {'name': 'beta', 'size': '22', 'note': '$(not a command) * ;'}], 'rows %r' % rows, r)


def test_big_output_is_truncated(env):
    """(9): 10 MiB on stdout and stderr: the note is cut at max_output with the marker,
    and the agent's memory does not grow by the size of the output."""
    alice = env.client('alice')
    marker = '[\u2026 truncated]'
    hwm0 = vm_hwm_kib(env)
    r = alice.execute(env.agent_jid, 'exec/spew').expect_status('completed', 'exec/spew')
    expect(len(r.notes) == 1 and r.notes[0][0] == 'info', 'notes %r' % [(t, len(s)) for t, s in r.notes], r)
    note = r.notes[0][1]
    expect(note.endswith('\n' + marker), 'the note does not end with %r: ...%r' % (marker, note[-40:]))
    body = note[:-len(marker) - 1]
    expect(body == 'x' * len(body), 'the note holds something else than the output')
    expect(60 * 1024 <= len(body) <= 64 * 1024, 'the note holds %d bytes of output, expected 64KiB'
           % len(body))

    r = alice.execute(env.agent_jid, 'exec/spew-text').expect_status('completed', 'exec/spew-text')
    out = r.fields.get('output')
    expect(out is not None and out.values[-1] == marker, 'the last line should be the marker', r)
    expect(sum(len(v) for v in out.values[:-1]) <= 4096, 'more than max_output (4KiB) was sent')

    hwm1 = vm_hwm_kib(env)
    if not os.environ.get('ADHOCD_WRAPPER') and hwm0 and hwm1:
        # 20 MiB went through the agent; it keeps at most 64KiB + 4KiB of it.
        expect(hwm1 - hwm0 < 6 * 1024, "the agent's peak memory grew by %d KiB" % (hwm1 - hwm0))


def test_cancel_kills_the_child(env):
    """(10): cancel of a session whose program runs kills the program and its group."""
    alice = env.client('alice', resource='cancel')
    r = alice.execute(env.agent_jid, 'exec/cancel').expect_status('executing', 'exec/cancel')
    sid = r.sessionid
    el = alice.iq_element('set', alice.command_element('exec/cancel', 'complete', sid, {'tag': 'x'}),
                          env.agent_jid)
    running = alice.send_iq_async(el, timeout=120)
    child, grandchild = read_pids(env, P.file('cancel.pids'))
    with no_leftovers(child, grandchild):
        expect(not running.done(), 'the program ended before it was canceled')
        c = alice.command(env.agent_jid, 'exec/cancel', sid, 'cancel').expect_status('canceled', 'cancel')
        expect(c.sessionid in (None, sid), 'cancel answer sessionid %r' % c.sessionid, c)
        r = env.run_checked(running, 60)
        expect(r.type == 'error', 'the canceled run should be answered with an error, got %r' % r.type, r)
        wait_reaped(env, child, 'the canceled program')
        wait_dead(env, grandchild, 'the grandchild of the canceled program')
    # The session is over.
    r = alice.command(env.agent_jid, 'exec/cancel', sid, 'complete', {'tag': 'y'})
    expect(r.type == 'error', 'the canceled session still answers', r)


def test_audit_masks_secrets(env):
    """(11): the audit line shows the argv with *** for text-private values."""
    alice = env.client('alice')
    secret = 'S3cret-' + H.make_password()
    mark = env.agent.log_mark()
    r = run_form(alice, env, 'exec/secret', {'user': 'bob "the admin"', 'pw': secret})
    r.expect_status('completed', 'exec/secret')
    digest = hashlib.sha256(secret.encode()).hexdigest()
    expect(r.note_text() == 'consistent\n' + digest, 'the program did not get the secret: %r'
           % r.note_text(), r)
    line = env.wait_until(lambda: audit_lines(env, mark, 'exec/secret'), 10 * H._SLOW,
                          'the audit line of exec/secret')[-1]
    for part in ('from=%s' % alice.jid, 'outcome=completed', 'exit 0', 'duration=',
                 r'\"%s\"' % P.prog('secret.sh'), r'\"--user=bob \\\"the admin\\\"\"',
                 r'\"--password=***\" \"***\"'):
        expect(part in line, 'the audit line lacks %s:\n%s' % (part, line))
    text = env.agent.log_text()
    expect(secret not in text, 'the secret appears in the agent log')


def test_output_is_made_valid_text(env):
    """Bytes that XML cannot carry become "?", \\r is dropped: the answer still arrives
    and the requester's stream survives."""
    alice = env.client('alice')
    r = alice.execute(env.agent_jid, 'exec/binary').expect_status('completed', 'exec/binary')
    expect(r.note_text() == 'A?B?[31mC?(D???E?G\nF', 'note %r' % r.note_text(), r)
    alice.execute(env.agent_jid, 'exec/quick').expect_status('completed', 'the same client afterwards')


def test_large_stdin(env):
    """More input than a pipe holds is written as the program reads it; a program that
    never reads its input does not hold anything up."""
    alice = env.client('alice')
    value = 'x' * 16000  # five times: more than the 64 KiB a pipe holds
    r = run_form(alice, env, 'exec/stdin-count', {'big': value}).expect_status('completed', 'exec/stdin-count')
    got = int(r.note_text().strip())
    expect(got == 5 * len(value), 'the program read %d bytes of %d' % (got, 5 * len(value)), r)
    r = run_form(alice, env, 'exec/stdin-ignored', {'big': value})
    r.expect_status('completed', 'exec/stdin-ignored')
    expect(r.notes == [('info', 'Done (exit 0).')], 'notes %r' % r.notes, r)


def test_reload_while_running(env):
    """A reload that removes the command does not disturb its running program: the
    requester still gets the outcome."""
    alice = env.client('alice', resource='reload')
    fut = send_execute(alice, env, 'exec/hold')
    wait_running(env, 1)
    original = open(env.agent.config).read()
    text = policy(P)
    start = text.index('  - node: exec/hold\n')
    end = text.index('  - node: ', start + 1)
    mark = env.agent.log_mark()
    try:
        env.agent.write_config(text[:start] + text[end:])
        env.agent.send_signal(signal.SIGHUP)
        env.agent.wait_log(r'Configuration reloaded', since=mark, what='the reload')
        alice.execute(env.agent_jid, 'exec/hold').expect_error('cancel', 'item-not-found',
                                                                what='exec/hold after the reload')
        expect(not fut.done(), 'exec/hold answered before its release', fut.result() if fut.done() else '')
    finally:
        open(P.file('release-hold'), 'w').close()
    r = env.run_checked(fut, 120).expect_status('completed', 'exec/hold across the reload')
    expect(r.note_text() == 'slow done', 'note %r' % r.note_text(), r)
    wait_running(env, 0)
    mark = env.agent.log_mark()
    with open(env.agent.config + '.tmp', 'w') as f:
        f.write(original)
    os.replace(env.agent.config + '.tmp', env.agent.config)
    env.agent.send_signal(signal.SIGHUP)
    env.agent.wait_log(r'Configuration reloaded', since=mark, what='the reload back')
    alice.execute(env.agent_jid, 'exec/quick').expect_status('completed', 'after the reload back')


def test_user_drops_privileges(env):
    """As root, user: runs the program as that user, with that user's groups only."""
    pw = run_as_nobody()
    if pw is None:
        H.log('not root: user: is checked by test_check_config_refuses_bad_programs instead')
        return
    r = env.client('alice').execute(env.agent_jid, 'exec/as-nobody').expect_status('completed', 'exec/as-nobody')
    note = r.note_text()
    m = re.match(r'uid=(\d+)\(\S*\) gid=(\d+)\(\S*\) groups=(.*)$', note)
    expect(m, 'id printed %r' % note, r)
    expect((int(m.group(1)), int(m.group(2))) == (pw.pw_uid, pw.pw_gid), 'ids %r' % note, r)
    groups = {int(g.split('(')[0]) for g in m.group(3).split(',')}
    expect(0 not in groups, 'the program kept the root group: %r' % note, r)


def test_no_leak_after_many_runs(env):
    """After many runs (and every test above) the agent holds no extra descriptor and
    has no child, not even a zombie."""
    alice = env.client('alice')
    alice.execute(env.agent_jid, 'exec/quick').expect_status('completed', 'warm-up')
    before = agent_fds(env)
    # 1000 runs are in tests/test-exec.c; these go through Prosody, on a loaded machine.
    n = 15 if os.environ.get('ADHOCD_WRAPPER') else 300
    for i in range(n):
        node = ('exec/quick', 'exec/fail', 'exec/fds')[i % 3]
        alice.execute(env.agent_jid, node).expect_status('completed', '%s, run %d' % (node, i))
    after = agent_fds(env)
    new = {fd: t for fd, t in after.items() if fd not in before or before[fd] != t}
    H.log('agent descriptors: %d before %d runs, %d after' % (len(before), n, len(after)))
    expect(len(after) <= len(before), 'after %d runs the agent holds %d descriptors, %d before; new: %r'
           % (n, len(after), len(before), new))
    env.wait_until(lambda: not agent_children(env), 10 * H._SLOW, 'the agent to have no child left')


def test_stop_with_running_programs(env):
    """SIGTERM while programs run: they are killed and reaped, a detached requester is
    told, and the agent exits 0 (under ADHOCD_WRAPPER=valgrind: with no error)."""
    alice = env.client('alice', resource='stop')
    alice.execute(env.agent_jid, 'exec/detach-hold').expect_status('completed', 'exec/detach-hold')
    child, grandchild = read_pids(env, P.file('shutdown.pids'))
    with no_leftovers(child, grandchild):
        pending = send_execute(alice, env, 'exec/running-at-stop')
        child2, grandchild2 = read_pids(env, P.file('stop.pids'))
        with no_leftovers(child2, grandchild2):
            env.agent.stop(timeout=30 * H._SLOW)
            for pid, what in ((child, 'the detached program'), (grandchild, 'its grandchild'),
                              (child2, 'the running program'), (grandchild2, 'its grandchild')):
                wait_dead(env, pid, what)
    r = env.run_checked(pending, 30 * H._SLOW)
    r.expect_error('cancel', 'service-unavailable', what='a request whose program the stop killed')
    # The agent has exited: whatever it sent is on its way already. (This fails while
    # agent.c shuts the backends down only in agent_free(), after the stream is closed.)
    frm, mtype, body, el = alice.wait_message(
        lambda frm, t, b, e: b is not None and b.startswith('[exec/detach-hold]'), 10 * H._SLOW,
        'the detached requester to be told that the agent stopped its program')
    expect(body == '[exec/detach-hold] Interrupted: the agent is stopping.', 'message %r' % body)


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_policy_is_valid,
        test_values_are_single_arguments,
        test_stdin,
        test_clean_environment,
        test_no_descriptor_above_2,
        test_signals_reset,
        test_cwd,
        test_timeout_kills_the_group,
        test_limits,
        test_detach,
        test_failures,
        test_check_config_refuses_bad_programs,
        test_output_text_and_table,
        test_big_output_is_truncated,
        test_cancel_kills_the_child,
        test_audit_masks_secrets,
        test_output_is_made_valid_text,
        test_large_stdin,
        test_reload_while_running,
        test_user_drops_privileges,
        test_no_leak_after_many_runs,
        test_stop_with_running_programs,
    ], start_agent=False, groups={'alice': ['flatmates'], 'bob': ['admins'], 'carol': ['guests']}))
