#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The command line as other issues and the README rely on it: --version, and
--check-config, which validates without connecting anywhere and reports each
mistake as FILE:LINE:COL: message with exit code 1."""

import os
import re
import socket
import subprocess
import sys

import harness as H
from harness import expect

ACCOUNT = '''account:
  jid: agent@example.test
  password_file: {pw}
  host: 127.0.0.1
  port: 5222
  tls: required
'''

GOOD_COMMANDS = '''commands:
  - node: test/hello
    name: Say hello
    allow: {groups: [flatmates]}
    reply: "Hello"
'''

EXPOSE_ALL = '''  - node: player
    name: Player
    allow: {groups: [flatmates]}
    dbus_expose: {destination: org.mpris.MediaPlayer2.vlc, path: /org/mpris/MediaPlayer2,
                  interface: org.mpris.MediaPlayer2.Player, methods: ["*"]}
'''


def adhocd(*args, timeout=30):
    binary = os.environ.get('ADHOCD_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')
    expect(os.path.exists(binary), 'the agent binary %s does not exist' % binary)
    p = subprocess.run([binary] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, text=True, timeout=timeout)
    return p.returncode, p.stdout


class Files:
    def __init__(self, env):
        self.dir = env.dir
        self.pw = os.path.join(self.dir, 'password')
        fd = os.open(self.pw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b'not-a-real-password\n')
        os.close(fd)
        os.chmod(self.pw, 0o600)
        self.n = 0

    def write(self, text):
        self.n += 1
        path = os.path.join(self.dir, 'config-%d.yaml' % self.n)
        with open(path, 'w') as f:
            f.write(text.replace('{pw}', self.pw))
        return path


def check(files, text, line, what, exit_code=1):
    """Runs --check-config on text; expects exit_code and, for errors, FILE:line:COL."""
    path = files.write(text)
    code, out = adhocd('--check-config', '--config', path)
    expect(code == exit_code, '%s: --check-config exited %s, expected %s. Output:\n%s'
           % (what, code, exit_code, out))
    if line is None:
        return out
    pos = re.findall(re.escape(path) + r':(\d+):(\d+): ', out)
    expect(pos, '%s: no "%s:LINE:COL: message" in the output:\n%s' % (what, path, out))
    lines = sorted({int(l) for l, _ in pos})
    expect(line in lines, '%s: reported at line(s) %s, expected line %d. Output:\n%s'
           % (what, lines, line, out))
    return out


def test_version(env):
    code, out = adhocd('--version')
    expect(code == 0, '--version exited %s:\n%s' % (code, out))
    want = os.environ.get('ADHOCD_VERSION')
    expect('adhocd' in out and (not want or want in out), '--version printed %r (project version %r)'
           % (out, want))


def test_valid_config(env):
    f = Files(env)
    check(f, ACCOUNT + GOOD_COMMANDS, None, 'a valid file', exit_code=0)
    check(f, ACCOUNT + H.STANDARD_POLICY, None, 'the integration tests\' policy', exit_code=0)
    # An entry exposing every method is not counted as a command: its commands come at run time.
    out = check(f, ACCOUNT + GOOD_COMMANDS + EXPOSE_ALL, None, 'a dbus_expose entry with "*"',
                exit_code=0)
    expect('valid (1 command(s), and 1 entry whose commands are found at run time)' in out,
           'the count of an entry with "*": %r' % out)


SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


def test_shipped_files_are_valid(env):
    """What the project ships loads: examples/adhocd.yaml (its install paths mapped to the
    source tree), the demo's configuration, and every file of policies/ included together, with
    and without basic.yaml's access lists."""
    f = Files(env)
    policies = os.path.join(SOURCE, 'policies')
    with open(os.path.join(SOURCE, 'examples', 'adhocd.yaml')) as fh:
        text = fh.read()
    expect('/usr/share/adhocd/policies/' in text and '/etc/adhocd/password' in text,
           'examples/adhocd.yaml no longer names the paths this test maps')
    text = text.replace('/usr/share/adhocd/policies/', policies + '/')
    text = text.replace('/etc/adhocd/password', f.pw)
    check(f, text, None, 'examples/adhocd.yaml', exit_code=0)

    names = sorted(n for n in os.listdir(policies) if n.endswith('.yaml'))
    expect('basic.yaml' in names and 'hello.yaml' in names, 'policies/: %r' % names)
    includes = ''.join('  - %s\n' % os.path.join(policies, n) for n in names)
    check(f, ACCOUNT + 'include:\n' + includes, None, 'policies/*.yaml together', exit_code=0)

    # The demo's file, with the account keys examples/demo.sh sets.
    with open(os.path.join(SOURCE, 'examples', 'demo.yaml')) as fh:
        demo = H.render_demo_config(fh.read(), {'password_file': f.pw, 'ca_file': None})
    check(f, demo, None, 'examples/demo.yaml', exit_code=0)


def test_each_mistake_with_its_line(env):
    f = Files(env)
    a = ACCOUNT.count('\n')  # the commands start on line a + 1
    cases = [
        ('an unknown key', ACCOUNT + GOOD_COMMANDS + '    colour: blue\n', a + 6),
        ('an unknown top-level key', ACCOUNT + 'bogus: 1\n' + GOOD_COMMANDS, a + 1),
        ('a wrong type', ACCOUNT + 'sessions:\n  max_total: lots\n' + GOOD_COMMANDS, a + 2),
        ('a duplicate node', ACCOUNT + GOOD_COMMANDS +
         '  - node: test/hello\n    name: Again\n    allow: {groups: [x]}\n    reply: "x"\n', a + 6),
        ('a template naming an undeclared field', ACCOUNT + GOOD_COMMANDS.replace('"Hello"', '"Hello {nobody}"'),
         a + 5),
        ('an unreadable password file', ACCOUNT.replace('{pw}', '/nonexistent/adhocd-password') + GOOD_COMMANDS,
         3),
        ('a duplicate key', ACCOUNT + GOOD_COMMANDS + '    name: Twice\n', a + 6),
        ('an alias', ACCOUNT + 'x-anchor: &a [1]\n' + GOOD_COMMANDS, a + 1),
    ]
    problems = []
    for what, text, line in cases:
        try:
            check(f, text, line, what)
        except H.Failure as e:
            problems.append(str(e))
    # An action missing: reported on the command (its first line, or its node).
    no_action = ACCOUNT + GOOD_COMMANDS.replace('    reply: "Hello"\n', '')
    path = f.write(no_action)
    code, out = adhocd('--check-config', '--config', path)
    lines = {int(l) for l, _ in re.findall(re.escape(path) + r':(\d+):(\d+): ', out)}
    if code != 1 or not lines & {a + 2, a + 3, a + 4}:
        problems.append('a command without action: exit %s, lines %s, expected 1 and line %d:\n%s'
                        % (code, sorted(lines), a + 2, out))
    expect(not problems, '\n\n'.join(problems))


def test_hostile_yaml(env):
    f = Files(env)
    deep = ACCOUNT + GOOD_COMMANDS + 'x: ' + '[' * 200 + ']' * 200 + '\n'
    check(f, deep, None, 'nesting deeper than 64', exit_code=1)
    recursive = ACCOUNT + GOOD_COMMANDS + 'x: &x [1, *x]\n'
    check(f, recursive, None, 'a self-referencing alias', exit_code=1)
    big = ACCOUNT + GOOD_COMMANDS + '# ' + 'x' * (1024 * 1024 + 10) + '\n'
    check(f, big, None, 'a file over 1 MiB', exit_code=1)
    code, out = adhocd('--check-config', '--config', os.path.join(env.dir, 'missing.yaml'))
    expect(code == 1, 'a missing file: exit %s\n%s' % (code, out))


def test_password_file_mode_warning(env):
    f = Files(env)
    os.chmod(f.pw, 0o644)
    out = check(f, ACCOUNT + GOOD_COMMANDS, None, 'a world-readable password file', exit_code=0)
    expect(f.pw in out or 'password' in out.lower(), 'no warning about the readable password file:\n' + out)


def test_check_config_does_not_connect(env):
    # A listener stands in for the server: --check-config must not connect to it.
    f = Files(env)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.bind((H.HOST, 0))
        srv.listen(5)
        srv.setblocking(False)
        port = srv.getsockname()[1]
        path = f.write(ACCOUNT.replace('port: 5222', 'port: %d' % port) + GOOD_COMMANDS)
        code, out = adhocd('--check-config', '--config', path, timeout=20)
        expect(code == 0, '--check-config exited %s:\n%s' % (code, out))
        try:
            conn, _ = srv.accept()
        except BlockingIOError:
            return
        conn.close()
        raise H.Failure('--check-config connected to the configured server')


def test_refuses_root(env):
    """The agent will not run as root unless the policy says allow_root: true."""
    if os.geteuid() != 0:
        H.log('not root: the refusal cannot be exercised here')
        return
    f = Files(env)
    path = f.write(ACCOUNT + GOOD_COMMANDS)
    code, out = adhocd('--config', path, timeout=30)
    expect(code == 1 and 'Refusing to run as root' in out,
           'as root without allow_root the agent must refuse to start (exit 1), got %s:\n%s'
           % (code, out))
    code, out = adhocd('--check-config', '--config', path)
    expect(code == 0 and 'refuses to run as root' in out,
           '--check-config as root must warn about allow_root, got %s:\n%s' % (code, out))


if __name__ == '__main__':
    sys.exit(H.main(__file__, [
        test_refuses_root,
        test_version,
        test_valid_config,
        test_shipped_files_are_valid,
        test_each_mistake_with_its_line,
        test_hostile_yaml,
        test_password_file_mode_warning,
        test_check_config_does_not_connect,
    ], server=False))
