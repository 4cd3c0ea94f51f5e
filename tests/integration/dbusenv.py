# SPDX-License-Identifier: MIT
"""A private D-Bus for the integration tests: a dbus-daemon of the test's own (a
session-type bus on a unix socket in a temporary directory, allowing everything),
programs started on it, and independent looks at it through dbus-send.

Nothing here talks to the machine's own session or system bus."""

import os
import re
import select
import shutil
import subprocess
import tempfile
import time

import harness as H

BUS_CONFIG = '''<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


def _read_line(proc, timeout, what):
    """The first line a child prints on its stdout (a pipe), or a Failure."""
    deadline = time.monotonic() + timeout
    buf = b''
    fd = proc.stdout.fileno()
    while b'\n' not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise H.Failure('timed out after %ss waiting for %s' % (timeout, what))
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            if proc.poll() is not None:
                raise H.Failure('%s: the program exited with code %s' % (what, proc.returncode))
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise H.Failure('%s: the program closed its output (exit code %s)' % (what, proc.wait()))
        buf += chunk
    return buf.split(b'\n', 1)[0].decode('utf-8', 'replace').strip()


def _stop(proc, timeout=15):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class PrivateBus:
    """dbus-daemon --print-address on unix:path=DIR/bus. A short directory in /tmp:
    socket paths are limited to 108 bytes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='adhocd-dbus-')
        self.socket = os.path.join(self.dir, 'bus')
        self.config = os.path.join(self.dir, 'bus.conf')
        self.log_path = os.path.join(self.dir, 'dbus-daemon.log')
        self.address = 'unix:path=' + self.socket
        self.proc = None
        self.children = []
        with open(self.config, 'w') as f:
            f.write(BUS_CONFIG.format(socket=self.socket))

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        log = open(self.log_path, 'ab')
        try:
            self.proc = subprocess.Popen(
                [shutil.which('dbus-daemon') or 'dbus-daemon', '--config-file=' + self.config,
                 '--nofork', '--nopidfile', '--print-address=1'],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                preexec_fn=lambda: H._child_setup(False))
        finally:
            log.close()
        line = _read_line(self.proc, H.START_TIMEOUT, 'dbus-daemon to print its address')
        H.expect(line.startswith(self.address), 'dbus-daemon printed %r, expected %s...' % (line, self.address))
        H.log('dbus: private bus at %s (pid %d)' % (self.address, self.proc.pid))
        return self

    def stop(self):
        _stop(self.proc)

    def env(self, extra=None):
        """The environment of a program that must use this bus as its session bus."""
        e = dict(os.environ)
        e['DBUS_SESSION_BUS_ADDRESS'] = self.address
        e.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        e.update(extra or {})
        return e

    def spawn(self, argv, name, extra_env=None):
        """Starts a program on this bus, its output in DIR/<name>.log."""
        log_path = os.path.join(self.dir, name + '.log')
        out = open(log_path, 'ab')
        try:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=self.env(extra_env), preexec_fn=lambda: H._child_setup(False))
        finally:
            out.close()
        p.log_path = log_path
        self.children.append(p)
        return p

    def close(self, keep=False):
        for p in self.children:
            _stop(p)
        self.stop()
        if keep or os.environ.get('ADHOCD_KEEP_TMP'):
            H.log('dbus: kept %s for inspection' % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- looks at the bus, with dbus-send (an independent client)

    def send(self, dest, path, method, *args, timeout=H.IQ_TIMEOUT):
        argv = ['dbus-send', '--bus=' + self.address, '--print-reply', '--reply-timeout=%d' % (timeout * 1000),
                '--dest=' + dest, path, method] + list(args)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           text=True, timeout=timeout + 10, env=self.env())
        if p.returncode != 0:
            raise H.Failure('%s failed (exit %d): %s' % (' '.join(argv), p.returncode, p.stdout.strip()))
        return p.stdout

    def has_owner(self, name):
        out = self.send('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner',
                        'string:' + name)
        return 'boolean true' in out

    def get_property(self, dest, path, interface, prop):
        """The property's value as dbus-send prints it, e.g. 'uint32 3' or 'double 0.25'."""
        out = self.send(dest, path, 'org.freedesktop.DBus.Properties.Get', 'string:' + interface,
                        'string:' + prop)
        m = re.search(r'variant\s+(.*)', out, re.S)
        H.expect(m is not None, 'dbus-send: no variant in the reply to Get %s.%s:\n%s' % (interface, prop, out))
        return ' '.join(m.group(1).split())


class TestService:
    """build/tests/dbus/test-service (org.adhocd.Test), started and stopped at will."""

    NAME = 'org.adhocd.Test'
    PATH = '/org/adhocd/Test1'
    INTERFACE = 'org.adhocd.Test1'

    def __init__(self, bus, binary=None):
        self.bus = bus
        self.binary = binary or default_test_service()
        self.proc = None
        self.log_path = os.path.join(bus.dir, 'test-service.log')

    def start(self, generation=1):
        H.expect(os.path.exists(self.binary), 'the test service %s does not exist (build it first)' % self.binary)
        log = open(self.log_path, 'ab')
        try:
            self.proc = subprocess.Popen(
                [self.binary, '--address', self.bus.address, '--generation', str(generation)],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                preexec_fn=lambda: H._child_setup(False))
        finally:
            log.close()
        line = _read_line(self.proc, H.START_TIMEOUT, 'test-service to print READY')
        H.expect(line == 'READY', 'test-service printed %r, expected READY' % line)
        H.log('dbus: test-service running (pid %d)' % self.proc.pid)

    def stop(self):
        _stop(self.proc)
        self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def call_count(self):
        v = self.bus.get_property(self.NAME, self.PATH, self.INTERFACE, 'CallCount')
        H.expect(v.startswith('uint32 '), 'CallCount: %r' % v)
        return int(v.split()[1])

    def call_log(self):
        return re.findall(r'string "([^"]*)"',
                          self.bus.get_property(self.NAME, self.PATH, self.INTERFACE, 'CallLog'))


def default_test_service():
    """Next to the agent under test: build/tests/dbus/test-service."""
    if os.environ.get('ADHOCD_TEST_SERVICE'):
        return os.environ['ADHOCD_TEST_SERVICE']
    agent = os.environ.get('ADHOCD_BIN') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')
    return os.path.join(os.path.dirname(os.path.abspath(agent)), 'tests', 'dbus', 'test-service')
