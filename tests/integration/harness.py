#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Real-server harness for adhocd's integration tests and for the demo.

It runs a private Prosody on 127.0.0.1 (a free port, TLS with a CA made by the
openssl CLI at run time, accounts made with prosodyctl), sets the agent
account's roster groups the way an owner would (a second resource of the
agent's own account sends jabber:iq:roster sets), starts build/adhocd against
it and drives it with slixmpp, an XMPP library independent of the agent.

Test scripts import this module and call main(). The demo runs it as a program:
    /usr/bin/python3 tests/integration/harness.py demo --help

Everything here talks to loopback only. Waits poll with generous deadlines and
never assert on durations: CI machines are small and noisy.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET

# slixmpp logs through the root logger (also at import); the tests report for themselves.
logging.basicConfig(level=logging.CRITICAL)

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
    from slixmpp.stanza import Iq
    from slixmpp.xmlstream.handler import Callback
    from slixmpp.xmlstream.matcher import MatchXPath
except ImportError:  # pragma: no cover - reported by main()
    slixmpp = None

DOMAIN = 'example.test'
HOST = '127.0.0.1'

NS_CLIENT = 'jabber:client'
NS_COMMANDS = 'http://jabber.org/protocol/commands'
NS_DATA = 'jabber:x:data'
NS_XDATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate'
NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'
NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items'
NS_ROSTER = 'jabber:iq:roster'
NS_PING = 'urn:xmpp:ping'
NS_VERSION = 'jabber:iq:version'
NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'
NS_XML = 'http://www.w3.org/XML/1998/namespace'
XML_LANG = '{%s}lang' % NS_XML

# Generous: a loaded 2-core CI machine can stall for seconds (and a wrapper such
# as valgrind makes the agent many times slower).
_SLOW = 3 if os.environ.get('ADHOCD_WRAPPER') else 1
IQ_TIMEOUT = 30 * _SLOW
START_TIMEOUT = 30 * _SLOW

# The accounts every test environment has, and the roster groups the agent
# gives them. mallory is on the server but not in the agent's roster.
USERS = ['agent', 'alice', 'bob', 'carol', 'mallory']
DEFAULT_GROUPS = {
    'alice': ['flatmates'],
    'bob': ['admins'],
    'carol': [],
}

_T0 = time.monotonic()


def log(msg):
    print('[%7.2f] %s' % (time.monotonic() - _T0, msg), flush=True)


class Failure(AssertionError):
    """A failed expectation; its message says what was expected and what came."""


# --------------------------------------------------------------------------
# Small utilities


def make_password():
    # Letters and digits only: a leading "-" would read as an option to prosodyctl.
    alphabet = string.ascii_letters + string.digits
    return ''.join(secrets.choice(alphabet) for _ in range(14))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As servers do: connections in TIME_WAIT do not keep a port busy,
        # a listening socket does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    # Also refuse a port someone listens on at the wildcard address.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) != 0


def port_accepts(port, host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def wait_until(pred, timeout, what, interval=0.1, sleep=time.sleep):
    """Polls pred() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure('timed out after %ss waiting for %s' % (timeout, what))
        sleep(interval)


def tail(path, lines=200):
    try:
        with open(path, 'r', errors='replace') as f:
            data = f.read().splitlines()
    except OSError as e:
        return '(cannot read %s: %s)' % (path, e)
    cut = data[-lines:]
    head = '' if len(data) <= lines else '(... %d earlier lines in %s)\n' % (len(data) - lines, path)
    return head + '\n'.join(cut)


def expect(cond, msg, *stanzas):
    if not cond:
        raise Failure('\n'.join([msg] + [str(s) for s in stanzas]))


class Terminated(BaseException):
    """SIGTERM (meson's timeout) or SIGHUP: unwind so that the cleanup runs."""


def _raise_terminated(signum, _frame):
    raise Terminated('received %s' % signal.Signals(signum).name)


def _child_setup(new_session):
    """For Popen(preexec_fn=): the child gets SIGTERM if the harness dies, whatever
    killed it, so that no Prosody or agent outlives its test."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass
    if new_session:
        os.setsid()


def spawn(argv, out_path, cwd, env=None, new_session=False, pass_fds=()):
    out = open(out_path, 'ab')
    try:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, preexec_fn=lambda: _child_setup(new_session),
                                pass_fds=pass_fds)
    finally:
        out.close()


def run_cmd(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError('%s failed (exit %d):\n%s' % (' '.join(argv), p.returncode, p.stdout))
    return p.stdout


# --------------------------------------------------------------------------
# XML helpers: readable dumps and parsed views of replies


def _split(tag):
    if tag.startswith('{'):
        ns, _, local = tag[1:].partition('}')
        return ns, local
    return '', tag


def _esc(s, quote=False):
    s = s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return s.replace("'", '&apos;') if quote else s


def xml_str(el, parent_ns=None, drop_attrs=(), rename=None):
    """Serialises el with xmlns= only where the namespace changes.

    drop_attrs are left out of the top element; rename maps attribute values
    to placeholders anywhere (used to compare two answers for equality)."""
    ns, local = _split(el.tag)
    parts = ['<' + local]
    if ns != parent_ns:
        parts.append(" xmlns='%s'" % ns)
    for k in sorted(el.attrib):
        if k in drop_attrs:
            continue
        v = el.attrib[k]
        if rename and v in rename:
            v = rename[v]
        kns, klocal = _split(k)
        name = 'xml:' + klocal if kns == NS_XML else (klocal if not kns else k)
        parts.append(" %s='%s'" % (name, _esc(v, True)))
    children = list(el)
    text = el.text or ''
    if not children and not text:
        return ''.join(parts) + '/>'
    parts.append('>' + _esc(text))
    for c in children:
        parts.append(xml_str(c, ns, rename=rename))
        parts.append(_esc(c.tail or ''))
    parts.append('</%s>' % local)
    return ''.join(parts)


class Field:
    def __init__(self, el):
        self.el = el
        self.var = el.get('var')
        self.type = el.get('type') or 'text-single'
        self.label = el.get('label')
        self.values = [v.text or '' for v in el.findall('{%s}value' % NS_DATA)]
        self.options = [(o.get('label'), (o.findtext('{%s}value' % NS_DATA) or ''))
                        for o in el.findall('{%s}option' % NS_DATA)]
        self.required = el.find('{%s}required' % NS_DATA) is not None
        self.validate = el.find('{%s}validate' % NS_XDATA_VALIDATE)

    @property
    def value(self):
        return self.values[0] if self.values else None

    def __repr__(self):
        return 'Field(%r, %r, %r)' % (self.var, self.type, self.values)


class Reply:
    """An iq answer as received, with accessors for what the tests look at."""

    def __init__(self, el):
        self.xml = el

    def __str__(self):
        return '  received: ' + xml_str(self.xml)

    @property
    def type(self):
        return self.xml.get('type')

    @property
    def lang(self):
        return self.xml.get(XML_LANG)

    @property
    def sender(self):
        return self.xml.get('from')

    @property
    def command(self):
        return self.xml.find('{%s}command' % NS_COMMANDS)

    def _cmd_attr(self, name):
        c = self.command
        return c.get(name) if c is not None else None

    @property
    def status(self):
        return self._cmd_attr('status')

    @property
    def sessionid(self):
        return self._cmd_attr('sessionid')

    @property
    def node(self):
        return self._cmd_attr('node')

    @property
    def notes(self):
        c = self.command
        if c is None:
            return []
        return [(n.get('type') or 'info', n.text or '') for n in c.findall('{%s}note' % NS_COMMANDS)]

    def note_text(self):
        return ' | '.join(t for _, t in self.notes)

    @property
    def forms(self):
        c = self.command
        return [] if c is None else c.findall('{%s}x' % NS_DATA)

    @property
    def form(self):
        f = self.forms
        return f[0] if f else None

    @property
    def form_type(self):
        f = self.form
        return f.get('type') if f is not None else None

    @property
    def fields(self):
        f = self.form
        if f is None:
            return {}
        out = {}
        for el in f.findall('{%s}field' % NS_DATA):
            fld = Field(el)
            out[fld.var if fld.var is not None else '#fixed%d' % len(out)] = fld
        return out

    @property
    def form_title(self):
        f = self.form
        return f.findtext('{%s}title' % NS_DATA) if f is not None else None

    @property
    def actions(self):
        """(execute attribute, [child names]) or None when there is no <actions>."""
        c = self.command
        a = c.find('{%s}actions' % NS_COMMANDS) if c is not None else None
        if a is None:
            return None
        return a.get('execute'), [_split(ch.tag)[1] for ch in a]

    @property
    def error(self):
        """(type, condition, app condition or None, text or None) or None."""
        e = self.xml.find('{%s}error' % NS_CLIENT)
        if e is None:
            return None
        cond = app = None
        text = None
        for ch in e:
            ns, local = _split(ch.tag)
            if ns == NS_STANZAS and local == 'text':
                text = ch.text
            elif ns == NS_STANZAS:
                cond = local
            else:
                app = local if ns == NS_COMMANDS else '{%s}%s' % (ns, local)
        return e.get('type'), cond, app, text

    def canonical(self, placeholders=()):
        """The answer without its addressing, for "identical answers" checks."""
        rename = {p: 'PLACEHOLDER' for p in placeholders}
        return xml_str(self.xml, drop_attrs=('id', 'from', 'to'), rename=rename)

    # Expectations shared by many tests

    def expect_result(self, what):
        expect(self.type == 'result', '%s: expected an iq result, got type=%r error=%r'
               % (what, self.type, self.error), self)
        return self

    def expect_error(self, etype, cond, app=None, what=''):
        got = self.error
        expect(self.type == 'error' and got is not None,
               '%s: expected an error %s/%s%s, got iq type=%r' %
               (what, etype, cond, '+' + app if app else '', self.type), self)
        expect((got[0], got[1]) == (etype, cond),
               '%s: expected error type=%s condition=%s, got type=%s condition=%s'
               % (what, etype, cond, got[0], got[1]), self)
        if app is not None:
            expect(got[2] == app, '%s: expected application condition <%s xmlns=%s/>, got %r'
                   % (what, app, NS_COMMANDS, got[2]), self)
        return self

    def expect_status(self, status, what=''):
        expect(self.type == 'result', '%s: expected an iq result with status=%s, got type=%r error=%r'
               % (what, status, self.type, self.error), self)
        expect(self.command is not None, '%s: the result has no <command/>' % what, self)
        expect(self.status == status, '%s: expected status=%r, got %r' % (what, status, self.status), self)
        return self


# --------------------------------------------------------------------------
# Certificates


class Pki:
    """A throw-away CA and a server certificate for one domain, via the openssl CLI."""

    def __init__(self, directory, domain):
        self.dir = directory
        self.domain = domain
        self.ca_cert = os.path.join(directory, 'ca.pem')
        self.ca_key = os.path.join(directory, 'ca.key')
        self.cert = os.path.join(directory, domain + '.crt')
        self.key = os.path.join(directory, domain + '.key')

    def exists(self):
        return all(os.path.exists(p) for p in (self.ca_cert, self.cert, self.key))

    def generate(self):
        os.makedirs(self.dir, exist_ok=True)
        ossl = shutil.which('openssl') or 'openssl'
        csr = os.path.join(self.dir, self.domain + '.csr')
        ext = os.path.join(self.dir, self.domain + '.ext')
        run_cmd([ossl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                 '-nodes', '-keyout', self.ca_key, '-out', self.ca_cert, '-days', '30',
                 '-subj', '/CN=adhocd test CA',
                 '-addext', 'basicConstraints=critical,CA:TRUE',
                 '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
        run_cmd([ossl, 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                 '-nodes', '-keyout', self.key, '-out', csr, '-subj', '/CN=' + self.domain])
        with open(ext, 'w') as f:
            f.write('basicConstraints=critical,CA:FALSE\n'
                    'keyUsage=critical,digitalSignature,keyEncipherment\n'
                    'extendedKeyUsage=serverAuth,clientAuth\n'
                    'subjectAltName=DNS:%s\n' % self.domain)
        run_cmd([ossl, 'x509', '-req', '-in', csr, '-CA', self.ca_cert, '-CAkey', self.ca_key,
                 '-CAcreateserial', '-out', self.cert, '-days', '30', '-extfile', ext])
        for p in (self.ca_key, self.key):
            os.chmod(p, 0o600)


# --------------------------------------------------------------------------
# Prosody


PROSODY_CONFIG = '''-- Generated by tests/integration/harness.py: a private server on loopback.
run_as_root = true
pidfile = {pidfile}
data_path = {data}
interfaces = {{ "{host}" }}
local_interfaces = {{ "{host}" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
-- Nagle adds 40-90 ms stalls to loopback round trips. No mod_limits either.
network_settings = {{ nagle = false }}
c2s_require_encryption = true
s2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
storage = "internal"
certificates = {certdir}
modules_enabled = {{ {modules} }}
modules_disabled = {{ "s2s" }}
smacks_hibernation_time = 60
log = {{ {{ levels = {{ min = "{log_level}" }}, to = "file", filename = {logfile} }} }}

VirtualHost "{domain}"
    ssl = {{ key = {key}, certificate = {cert} }}
'''


def _lua_str(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


def prosody_has_module(name):
    for d in ('/usr/lib/prosody/modules', '/usr/local/lib/prosody/modules'):
        if os.path.exists(os.path.join(d, 'mod_%s.lua' % name)) or \
           os.path.isdir(os.path.join(d, 'mod_%s' % name)):
            return True
    return False


class Prosody:
    def __init__(self, directory, pki, domain=DOMAIN, port=None):
        self.dir = directory
        self.pki = pki
        self.domain = domain
        self.port = port or free_port()
        self.config = os.path.join(directory, 'prosody.cfg.lua')
        self.log_path = os.path.join(directory, 'prosody.log')
        self.out_path = os.path.join(directory, 'prosody.out')
        self.data = os.path.join(directory, 'data')
        self.proc = None
        self.passwords = {}
        self.new_session = False  # the demo: Ctrl-C reaches the harness only
        self.log_level = 'debug'

    def write_config(self):
        os.makedirs(self.data, exist_ok=True)
        os.chmod(self.data, 0o700)
        # offline: a result the agent sends while its requester is away waits for them.
        mods = ['roster', 'saslauth', 'tls', 'disco', 'ping', 'version', 'offline']
        if prosody_has_module('smacks'):
            mods.append('smacks')  # the agent resumes with XEP-0198
        text = PROSODY_CONFIG.format(
            pidfile=_lua_str(os.path.join(self.dir, 'prosody.pid')),
            data=_lua_str(self.data), host=HOST, port=self.port,
            certdir=_lua_str(self.pki.dir),
            modules=', '.join(_lua_str(m) for m in mods),
            logfile=_lua_str(self.log_path), log_level=self.log_level, domain=self.domain,
            key=_lua_str(self.pki.key), cert=_lua_str(self.pki.cert))
        with open(self.config, 'w') as f:
            f.write(text)

    def register(self, users):
        """Creates accounts (in parallel: each prosodyctl run starts Lua afresh)."""
        procs = []
        for user, password in users.items():
            argv = ['prosodyctl', '--config', self.config, 'register', user, self.domain, password]
            procs.append((user, argv, subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, text=True)))
        for user, argv, p in procs:
            out, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                raise RuntimeError('prosodyctl register %s failed (exit %d):\n%s'
                                   % (user, p.returncode, out))
            self.passwords[user] = users[user]

    def start(self):
        expect(self.proc is None or self.proc.poll() is not None, 'Prosody is already running')
        # The port must be ours: a stray server (say a system Prosody) would
        # make every later failure confusing.
        expect(port_free(self.port), 'port %d on %s is already in use' % (self.port, HOST))
        self.proc = spawn(['prosody', '-F', '--config', self.config], self.out_path, self.dir,
                          new_session=self.new_session)

        def ready():
            if self.proc.poll() is not None:
                raise Failure('Prosody exited with code %s while starting:\n%s\n%s'
                              % (self.proc.returncode, tail(self.out_path, 40), tail(self.log_path, 40)))
            return port_accepts(self.port)
        wait_until(ready, START_TIMEOUT, 'Prosody to listen on %s:%d' % (HOST, self.port))
        log('prosody: listening on %s:%d (pid %d)' % (HOST, self.port, self.proc.pid))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if not self.running():
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        log('prosody: stopped with signal %s' % signal.Signals(sig).name)

    def stop(self):
        self.kill(signal.SIGTERM)


# --------------------------------------------------------------------------
# The agent under test


class Agent:
    def __init__(self, directory, binary, prosody, pki, jid_local='agent', verbose=True):
        self.dir = directory
        self.binary = binary
        self.prosody = prosody
        self.pki = pki
        self.bare = '%s@%s' % (jid_local, prosody.domain)
        self.config = os.path.join(directory, 'adhocd.yaml')
        self.password_file = os.path.join(directory, 'agent.password')
        self.log_path = os.path.join(directory, 'adhocd.log')
        self.verbose = verbose
        self.proc = None
        self.new_session = False
        self.full_jid = None
        self.exit_code = None
        self.stopping = False  # set when the test itself makes the agent exit
        # How to let time pass: Env makes this run its event loop, so that the
        # clients keep sending and receiving while the harness waits for the agent.
        self.sleep = time.sleep
        self.host = HOST  # the account's host: (a name is looked up by the agent)
        self.policy = None  # the last one written

    def account_yaml(self):
        q = json.dumps  # a JSON string is a valid YAML scalar
        return ('account:\n'
                '  jid: %s\n'
                '  password_file: %s\n'
                '  host: %s\n'
                '  port: %d\n'
                '  tls: required\n'
                '  ca_file: %s\n' % (self.bare, q(self.password_file), self.host, self.prosody.port,
                                     q(self.pki.ca_cert))
                + ''.join('  %s\n' % line for line in getattr(self, 'extra_account', ())))

    def write_password(self, password):
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(password + '\n')
        os.chmod(self.password_file, 0o600)

    def write_config(self, policy, with_account=True):
        """policy: YAML text with the sections after account: (commands:, sessions:, ...)."""
        self.policy = policy
        text = '# Generated by tests/integration/harness.py\n'
        if os.geteuid() == 0 and 'allow_root:' not in policy:
            # CI machines and this sandbox run everything as root; the agent refuses root
            # unless told so explicitly.
            text += 'allow_root: true\n'
        if with_account:
            text += self.account_yaml() + '\n'
        text += policy.strip('\n') + '\n'
        tmp = self.config + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.config)  # a reload never sees half a file

    def log_text(self):
        try:
            with open(self.log_path, 'r', errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def log_mark(self):
        return len(self.log_text())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if self.stopping:
            return
        if self.proc is not None and self.proc.poll() is not None and self.exit_code is None:
            raise Failure('the agent exited unexpectedly with code %s; its log ends with:\n%s'
                          % (self.proc.returncode, tail(self.log_path, 60)))

    def wait_log(self, pattern, since=0, timeout=START_TIMEOUT, what=None, flags=0):
        """Waits for a regex to match the log after offset since; returns the match."""
        rx = re.compile(pattern, flags)

        def found():
            m = rx.search(self.log_text(), since)
            if m:
                return m
            self.check_alive()
            return None
        return wait_until(found, timeout, what or 'agent log line matching %r' % pattern,
                          sleep=self.sleep)

    def start(self, wait_online=True, extra_env=None, pass_fds=(), prefix=()):
        """pass_fds: descriptors the agent inherits (as from a careless parent); prefix: a
        command that runs the agent (it ends by exec'ing its arguments)."""
        expect(os.path.exists(self.binary), 'the agent binary %s does not exist (build it first)' % self.binary)
        # ADHOCD_WRAPPER runs the agent under a tool, e.g.
        # "valgrind --error-exitcode=99 --leak-check=full": errors then fail stop().
        argv = (list(prefix) + shlex.split(os.environ.get('ADHOCD_WRAPPER', ''))
                + [self.binary, '--config', self.config])
        if self.verbose:
            argv.append('--verbose')
        mark = self.log_mark()
        env = dict(os.environ)
        env.pop('JOURNAL_STREAM', None)
        env.pop('NOTIFY_SOCKET', None)
        env.pop('WATCHDOG_USEC', None)
        env.pop('WATCHDOG_PID', None)
        env.update(extra_env or {})
        self.exit_code = None
        self.stopping = False
        self.proc = spawn(argv, self.log_path, self.dir, env=env, new_session=self.new_session,
                          pass_fds=pass_fds)
        log('agent: started %s (pid %d)' % (' '.join(argv), self.proc.pid))
        if wait_online:
            self.wait_online(since=mark)

    def wait_online(self, since=0, timeout=START_TIMEOUT):
        m = self.wait_log(r'online as (\S+)', since=since, timeout=timeout,
                          what='the agent to log "online as <jid>"')
        self.full_jid = m.group(1).rstrip('.,;:)')
        expect('/' in self.full_jid and self.full_jid.split('/')[0] == self.bare,
               'the agent logged "online as %s", expected %s/<resource>' % (self.full_jid, self.bare))
        log('agent: online as %s' % self.full_jid)
        return self.full_jid

    def send_signal(self, sig):
        self.check_alive()
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        """SIGTERM, and the agent must exit 0 within timeout seconds."""
        self.check_alive()
        self.stopping = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = -9
            raise Failure('the agent did not exit within %ss of SIGTERM' % timeout)
        self.exit_code = code
        expect(code == 0, 'the agent exited with code %s after SIGTERM, expected 0' % code)

    def kill(self):
        self.stopping = True
        if self.running():
            self.exit_code = -9
            self.proc.kill()
            self.proc.wait(timeout=15)


# --------------------------------------------------------------------------
# XMPP clients (slixmpp), driven synchronously from the tests


if slixmpp is not None:
    class _Xmpp(slixmpp.ClientXMPP):
        """A client that connects to the harness's server without any DNS lookup."""

        def __init__(self, jid, password, port, lang):
            super().__init__(jid, password, lang=lang)
            self._harness_port = port

        async def get_dns_records(self, domain, port=None):
            return [(domain, HOST, self._harness_port)]


def _parse_xml(text):
    el = ET.fromstring(text)
    if _split(el.tag)[0] == '':
        # Stanzas written without xmlns belong to jabber:client.
        el = ET.fromstring(re.sub(r'^\s*<(\w+)', r"<\1 xmlns='jabber:client'", text, count=1))
    return el


class Client:
    """One logged-in XMPP client. Every call blocks until its answer comes."""

    def __init__(self, env, user, resource, lang='en', presence=True, ca_file=None):
        self.env = env
        self.user = user
        self.bare = '%s@%s' % (user, env.domain)
        self.resource = resource
        self.presences = []      # (from, type, stanza element) of every presence received
        self.messages = []       # (from, type, body or None, stanza element) of every message received
        self.iqs_received = []   # iq get/set addressed to this client
        self.loop = env.loop
        x = _Xmpp('%s/%s' % (self.bare, resource), env.prosody.passwords[user],
                  env.prosody.port, lang)
        x.loop = self.loop
        x.ca_certs = ca_file or env.pki.ca_cert
        x.use_ipv6 = False
        x.auto_authorize = None  # subscription requests are left for the test to decide
        x.auto_subscribe = False
        self.xmpp = x
        self._started = asyncio.Future(loop=self.loop)
        x.add_event_handler('session_start', self._on_start)
        x.add_event_handler('failed_auth', lambda *_: self._fail('authentication failed'))
        x.add_event_handler('connection_failed', lambda e: self._fail('connection failed: %s' % e))
        x.add_event_handler('ssl_invalid_chain',
                            lambda e: self._fail('TLS certificate not trusted: %s' % e))
        x.add_event_handler('disconnected', lambda *_: self._fail('disconnected before the session started'))
        x.add_event_handler('presence', self._on_presence)
        # Every <message/>, with a body or not (slixmpp's 'message' event skips some).
        x.register_handler(Callback('harness messages', MatchXPath('{%s}message' % NS_CLIENT),
                                    self._on_message))
        x.add_event_handler('roster_update', lambda r: self.roster_pushes.append(r))
        self.roster_pushes = []
        self.stream_features = []  # every <stream:features/> the server sent
        x.register_handler(Callback('harness stream features',
                                    MatchXPath('{http://etherx.jabber.org/streams}features'),
                                    lambda f: self.stream_features.append(f.xml)))
        self.send_presence_on_start = presence

    def _fail(self, why):
        if not self._started.done():
            self._started.set_exception(Failure('%s could not log in: %s' % (self.jid, why)))

    def _on_start(self, _event):
        if self.send_presence_on_start:
            self.xmpp.send_presence()
        if not self._started.done():
            self._started.set_result(True)

    def _on_presence(self, pres):
        self.presences.append((str(pres['from']), pres['type'], pres.xml))

    def _on_message(self, msg):
        body = msg.xml.find('{%s}body' % NS_CLIENT)
        self.messages.append((msg.xml.get('from'), msg.xml.get('type') or 'normal',
                              None if body is None else (body.text or ''), msg.xml))

    @property
    def jid(self):
        return str(self.xmpp.boundjid) if self.xmpp.boundjid.resource else '%s/%s' % (self.bare, self.resource)

    def connect(self, timeout=START_TIMEOUT):
        self.xmpp.connect(address=(HOST, self.env.prosody.port))
        try:
            self.env.run(asyncio.wait_for(asyncio.shield(self._started), timeout))
        except asyncio.TimeoutError:
            self.xmpp.abort()
            raise Failure('%s did not log in within %ss' % (self.jid, timeout))
        except Failure:
            self.xmpp.abort()
            raise
        return self

    def close(self):
        try:
            fut = self.xmpp.disconnect(wait=1)
            self.env.run(asyncio.wait_for(fut, 5))
        except Exception:  # closing is best effort
            self.xmpp.abort()

    # ---- raw iq

    def iq_element(self, itype, payload=None, to=None, lang=None, attrs=None):
        el = ET.Element('{%s}iq' % NS_CLIENT, {'type': itype})
        if to:
            el.set('to', to)
        if lang:
            el.set(XML_LANG, lang)
        for k, v in (attrs or {}).items():
            el.set(k, v)
        if payload is not None:
            el.append(_parse_xml(payload) if isinstance(payload, str) else payload)
        return el

    def send_iq_async(self, el, timeout=IQ_TIMEOUT):
        """Sends an iq element; returns an asyncio future resolving to a Reply."""
        iq = Iq(self.xmpp, xml=el)
        if not iq['id']:
            iq['id'] = self.xmpp.new_id()
        fut = iq.send(timeout=timeout)

        async def answer():
            try:
                r = await fut
                return Reply(r.xml)
            except IqError as e:
                return Reply(e.iq.xml)
            except IqTimeout:
                raise Failure('no answer within %ss to %s' % (timeout, xml_str(el)))
        return asyncio.ensure_future(answer(), loop=self.loop)

    def send_iq(self, el, timeout=IQ_TIMEOUT):
        return self.env.run_checked(self.send_iq_async(el, timeout), timeout + 5)

    def iq(self, itype, payload=None, to=None, lang=None, timeout=IQ_TIMEOUT):
        return self.send_iq(self.iq_element(itype, payload, to, lang), timeout)

    def raw_iq(self, text, timeout=IQ_TIMEOUT):
        """Sends an iq written as XML text (xmlns defaults to jabber:client)."""
        return self.send_iq(_parse_xml(text), timeout)

    # ---- discovery

    def disco_info(self, to, node=None, lang=None):
        q = ET.Element('{%s}query' % NS_DISCO_INFO)
        if node:
            q.set('node', node)
        return self.iq('get', q, to, lang)

    def disco_items(self, to, node=NS_COMMANDS, lang=None):
        q = ET.Element('{%s}query' % NS_DISCO_ITEMS)
        if node:
            q.set('node', node)
        return self.iq('get', q, to, lang)

    def commands(self, to, lang=None):
        """The command list as {node: name}; fails unless disco#items succeeds."""
        r = self.disco_items(to, NS_COMMANDS, lang).expect_result('disco#items of %s' % NS_COMMANDS)
        out = {}
        for it in r.xml.iter('{%s}item' % NS_DISCO_ITEMS):
            expect(it.get('jid') == to, 'disco#items: item jid %r, expected the agent %r'
                   % (it.get('jid'), to), r)
            out[it.get('node')] = it.get('name')
        return out

    # ---- ad-hoc commands

    @staticmethod
    def submit_form(values, form_type='submit'):
        x = ET.Element('{%s}x' % NS_DATA, {'type': form_type})
        for var, val in (values or {}).items():
            if val is None:
                continue
            f = ET.SubElement(x, '{%s}field' % NS_DATA, {'var': var})
            for v in (val if isinstance(val, (list, tuple)) else [val]):
                ET.SubElement(f, '{%s}value' % NS_DATA).text = str(v)
        return x

    def command_element(self, node, action=None, sessionid=None, values=None,
                        form_type='submit', attrs=None):
        c = ET.Element('{%s}command' % NS_COMMANDS, {'node': node})
        if action is not None:
            c.set('action', action)
        if sessionid is not None:
            c.set('sessionid', sessionid)
        for k, v in (attrs or {}).items():
            c.set(k, v)
        if values is not None or form_type != 'submit':
            c.append(self.submit_form(values, form_type))
        return c

    def execute(self, to, node, lang=None, action='execute', attrs=None):
        return self.iq('set', self.command_element(node, action, attrs=attrs), to, lang)

    def command(self, to, node, sessionid, action=None, values=None, form_type='submit',
                lang=None, attrs=None):
        return self.iq('set', self.command_element(node, action, sessionid, values, form_type, attrs),
                       to, lang)

    def ping(self, to):
        return self.iq('get', ET.Element('{%s}ping' % NS_PING), to)

    def version(self, to):
        return self.iq('get', ET.Element('{%s}query' % NS_VERSION), to)

    # ---- roster and presence

    def roster_get(self):
        r = self.iq('get', ET.Element('{%s}query' % NS_ROSTER)).expect_result('roster get')
        out = {}
        for it in r.xml.iter('{%s}item' % NS_ROSTER):
            out[it.get('jid')] = {
                'name': it.get('name'),
                'subscription': it.get('subscription') or 'none',
                'ask': it.get('ask'),
                'groups': sorted(g.text or '' for g in it.findall('{%s}group' % NS_ROSTER)),
            }
        return out

    def roster_set(self, jid, groups=(), name=None):
        q = ET.Element('{%s}query' % NS_ROSTER)
        item = ET.SubElement(q, '{%s}item' % NS_ROSTER, {'jid': jid})
        if name:
            item.set('name', name)
        for g in groups:
            ET.SubElement(item, '{%s}group' % NS_ROSTER).text = g
        return self.iq('set', q).expect_result('roster set of %s' % jid)

    def roster_remove(self, jid):
        q = ET.Element('{%s}query' % NS_ROSTER)
        ET.SubElement(q, '{%s}item' % NS_ROSTER, {'jid': jid, 'subscription': 'remove'})
        return self.iq('set', q).expect_result('roster remove of %s' % jid)

    def send_presence(self, to=None, ptype=None):
        self.xmpp.send_presence(pto=to, ptype=ptype)
        self.env.run(asyncio.sleep(0))

    def wait_presence(self, pred, timeout=START_TIMEOUT, what='a presence'):
        """Waits until pred(from, type, element) holds for some presence received."""
        def found():
            for p in self.presences:
                if pred(*p):
                    return p
            return None
        return self.env.wait_until(found, timeout, what)

    def wait_message(self, pred, timeout=IQ_TIMEOUT, what='a message'):
        """Waits until pred(from, type, body, element) holds for some message received;
        returns that (from, type, body, element)."""
        def found():
            for m in self.messages:
                if pred(*m):
                    return m
            return None
        return self.env.wait_until(found, timeout, what)


# --------------------------------------------------------------------------
# The environment: one server, its accounts, the agent and the clients


class Env:
    def __init__(self, name, domain=DOMAIN, base_dir=None, run_dir=None, port=None):
        self.name = name
        self.domain = domain
        if run_dir:
            os.makedirs(run_dir, exist_ok=True)
            self.dir = os.path.abspath(run_dir)
            self.temporary = False
        else:
            base = base_dir or os.environ.get('ADHOCD_TEST_TMPDIR') or tempfile.gettempdir()
            os.makedirs(base, exist_ok=True)
            self.dir = tempfile.mkdtemp(prefix=name + '-', dir=base)
            self.temporary = True
        os.chmod(self.dir, 0o700)
        self.pki = Pki(os.path.join(self.dir, 'pki'), domain)
        self.prosody = Prosody(self.dir, self.pki, domain, port)
        self.agent = None
        self.clients = {}
        self._setup = None
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def jid(self, user):
        return '%s@%s' % (user, self.domain)

    # ---- the asyncio loop, run only while the harness waits

    def run(self, aw, timeout=None):
        if timeout is not None:
            aw = asyncio.wait_for(aw, timeout)
        return self.loop.run_until_complete(aw)

    def run_checked(self, fut, timeout):
        """Runs until fut is done, failing early if the agent dies meanwhile."""
        async def watch():
            deadline = self.loop.time() + timeout
            while not fut.done():
                if self.agent is not None:
                    self.agent.check_alive()
                if self.loop.time() > deadline:
                    fut.cancel()
                    raise Failure('no answer within %ss' % timeout)
                await asyncio.wait([fut], timeout=0.2)
            return fut.result()
        return self.run(watch())

    def sleep(self, seconds):
        """Lets the clients process traffic while time passes."""
        self.run(asyncio.sleep(seconds))

    def wait_until(self, pred, timeout, what, interval=0.1):
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if self.agent is not None:
                self.agent.check_alive()
            if time.monotonic() > deadline:
                raise Failure('timed out after %ss waiting for %s' % (timeout, what))
            self.sleep(interval)

    # ---- server

    def start_server(self, users=USERS, passwords=None):
        if not self.pki.exists():
            self.pki.generate()
        self.prosody.write_config()
        pw = dict(passwords or {})
        for u in users:
            pw.setdefault(u, make_password())
        self.prosody.register(pw)
        self.prosody.start()

    def restart_server(self, sig=signal.SIGKILL):
        """Kills Prosody and starts it again on the same port and data."""
        for c in self.clients.values():
            c.xmpp.abort()
        self.clients.clear()
        if self._setup is not None:
            self._setup.xmpp.abort()
            self._setup = None
        self.run(asyncio.sleep(0.1))
        self.prosody.kill(sig)
        # The listening socket closes with the process; wait until it is free.
        wait_until(lambda: port_free(self.prosody.port), START_TIMEOUT,
                   'port %d to be free again' % self.prosody.port)
        self.prosody.start()

    # ---- clients

    def client(self, user, resource='test', lang='en', presence=True, fresh=False):
        """A connected client, cached per (user, resource, lang) unless fresh."""
        key = (user, resource, lang)
        c = self.clients.get(key)
        if c is not None and not fresh and c.xmpp.is_connected():
            return c
        c = Client(self, user, resource, lang=lang, presence=presence).connect()
        if not fresh:
            self.clients[key] = c
        return c

    def setup(self):
        """The agent's own account on another resource: the owner's client."""
        if self._setup is None or not self._setup.xmpp.is_connected():
            self._setup = Client(self, 'agent', 'setup', presence=False).connect()
        return self._setup

    def set_groups(self, groups):
        """groups: {user: [group, ...]} set in the agent's roster."""
        s = self.setup()
        for user, gs in groups.items():
            s.roster_set(self.jid(user), gs, name=user.capitalize())

    def subscribe_to_agent(self, user):
        """Makes user subscribed to the agent's presence, approved by the owner."""
        s = self.setup()
        # RFC 6121 3.4 pre-approval by the owner, then the contact's request.
        s.xmpp.send_presence(pto=self.jid(user), ptype='subscribed')
        c = self.client(user)
        c.roster_get()  # become an interested resource: roster pushes come
        c.xmpp.send_presence(pto=self.jid('agent'), ptype='subscribe')
        self.wait_until(lambda: c.roster_get().get(self.jid('agent'), {}).get('subscription') in ('to', 'both'),
                        START_TIMEOUT, '%s to be subscribed to the agent' % user)
        return c

    # ---- agent

    def start_agent(self, policy, binary=None, verbose=True, wait_online=True, pass_fds=()):
        binary = binary or os.environ.get('ADHOCD_BIN') or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), '..', '..', 'build', 'adhocd')
        if self.agent is None:
            self.agent = Agent(self.dir, os.path.abspath(binary), self.prosody, self.pki, verbose=verbose)
            self.agent.sleep = self.sleep
            self.agent.write_password(self.prosody.passwords['agent'])
        self.agent.write_config(policy)
        self.agent.start(wait_online=wait_online, pass_fds=pass_fds)
        return self.agent

    @property
    def agent_jid(self):
        return self.agent.full_jid

    def wait_agent_saw(self, text, since, timeout=10):
        """Waits until the agent's traffic log (--verbose) shows text after offset since.

        Used only to order two requests; without such a line it waits a second instead."""
        try:
            self.agent.wait_log(re.escape(text), since=since, timeout=timeout)
        except Failure:
            log('the agent log does not show %r; waiting 1 s instead' % text)
            self.sleep(1)

    # ---- teardown

    def close(self, failed=False):
        for c in list(self.clients.values()) + ([self._setup] if self._setup else []):
            try:
                c.xmpp.abort()
            except Exception:
                pass
        self.clients.clear()
        self._setup = None
        if self.agent is not None:
            self.agent.kill()
        self.prosody.kill(signal.SIGTERM)
        if failed:
            self.dump_logs()
        self._close_loop()
        if self.temporary and not failed and not os.environ.get('ADHOCD_KEEP_TMP'):
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.temporary:
            log('kept %s for inspection' % self.dir)

    def _close_loop(self):
        # Cancel slixmpp's background tasks so that none complains after close().
        try:
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
        except Exception as e:  # teardown is best effort
            log('closing the event loop: %s' % e)

    def dump_logs(self):
        if self.agent is not None:
            print('\n===== agent log (%s) =====' % self.agent.log_path)
            print(tail(self.agent.log_path, 400))
        print('\n===== prosody log (%s) =====' % self.prosody.log_path)
        print(tail(self.prosody.log_path, 200))
        print('===== end of logs =====', flush=True)


# --------------------------------------------------------------------------
# The policy most tests run the agent with


STANDARD_POLICY = '''
sessions:
  idle_timeout: 10m
  max_per_requester: 20
  max_total: 200

commands:
  - node: test/hello
    name: Say hello
    allow: {groups: [flatmates]}
    reply: "Hello from the agent"

  - node: test/admin
    name: Admin task
    allow: {groups: [admins]}
    reply: "Admin task done"

  - node: test/form
    name: Form with every field type
    allow: {groups: [flatmates, admins]}
    form:
      title: Order
      instructions: Fill in the order
      fields:
        - {var: colour, type: list-single, label: Colour, required: true, options: [red, green, blue]}
        - {var: count, type: text-single, label: Count, validate: {datatype: "xs:integer", range: [1, 500]}, default: "50"}
        - {var: loud, type: boolean, label: Loud}
        - {var: secret, type: text-private, label: Secret}
        - {var: token, type: hidden, default: "t0k3n"}
        - {var: buddy, type: jid-single, label: Buddy}
        - {var: name, type: text-single, label: Name, required: true}
        - {var: code, type: text-single, label: Code, validate: {datatype: "xs:string", regex: "[a-z]{3}"}}
    reply: "Ordered {count} {colour} for {name}, token {token}"

  - node: test/confirm
    name: Restart a unit
    allow: {groups: [admins]}
    form:
      fields:
        - {var: unit, type: list-single, label: Unit, required: true, options: [nginx.service, prosody.service]}
    confirm: "Restart {unit}?"
    reply: "Restarted {unit}"

  - node: test/echo
    name: Echo
    allow: {groups: [flatmates]}
    form:
      fields:
        - {var: colour, type: list-single, label: Colour, options: [red, green, blue]}
        - {var: count, type: text-single, label: Count, validate: {datatype: "xs:integer"}}
        - {var: secret, type: text-private, label: Secret}
    reply: {note: "Echoed", echo: true}

  - node: test/lang
    name: {en: Greeting, fr: Salutation}
    allow: {groups: [flatmates]}
    form:
      title: {en: Greeting form, fr: Formulaire de salutation}
      fields:
        - {var: who, type: text-single, label: {en: Who, fr: Qui}, required: true}
    reply: {note: {en: "Hello {who}", fr: "Bonjour {who}"}}

  - node: test/lang-fr-first
    name: {fr: Bonsoir, en: Good evening}
    allow: {groups: [flatmates]}
    reply: {fr: "Bonsoir tout le monde", en: "Good evening everyone"}

  - node: test/slow
    name: Slow command
    allow: {groups: [flatmates]}
    reply: {note: "slow done", delay: 3s}
'''

# What each account may see under STANDARD_POLICY.
STANDARD_VISIBLE = {
    'alice': {'test/hello', 'test/form', 'test/echo', 'test/lang', 'test/lang-fr-first', 'test/slow'},
    'bob': {'test/admin', 'test/form', 'test/confirm'},
    'carol': set(),
    'mallory': set(),
}


# --------------------------------------------------------------------------
# Test runner


def main(script, tests, policy=STANDARD_POLICY, groups=None, subscribe=(), start_agent=True,
         server=True):
    """Runs tests (functions taking an Env) against one server and agent.

    Every test runs even after a failure; the exit status is 1 if any failed,
    and the agent's and Prosody's logs are printed then."""
    name = os.path.splitext(os.path.basename(script))[0]
    if slixmpp is None:
        print('python3-slixmpp is missing for /usr/bin/python3 (run tools/install-deps.sh)')
        return 1
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGHUP, _raise_terminated)
    env = Env(name)
    log('%s: working in %s' % (name, env.dir))
    failed = []
    passed = 0
    try:
        try:
            if server:
                env.start_server()
                env.set_groups(DEFAULT_GROUPS if groups is None else groups)
                for u in subscribe:
                    env.subscribe_to_agent(u)
            if server and start_agent:
                env.start_agent(policy)
        except Exception as e:
            log('SETUP FAILED: %s' % e)
            traceback.print_exc(file=sys.stdout)
            failed.append('setup')
            return 1
        for t in tests:
            tname = t.__name__
            log('--- %s' % tname)
            try:
                t(env)
            except Exception as e:
                failed.append(tname)
                kind = '' if isinstance(e, Failure) else '%s: ' % type(e).__name__
                log('FAIL %s: %s%s' % (tname, kind, e))
                if not isinstance(e, Failure):
                    traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                log('ok   %s' % tname)
        # The agent must still be there, unless a test stopped it on purpose, and
        # stop cleanly (under ADHOCD_WRAPPER=valgrind this is when leaks show).
        if env.agent is not None and not env.agent.stopping:
            try:
                env.agent.check_alive()
                env.agent.stop(timeout=10 * _SLOW)
            except Failure as e:
                failed.append('agent-clean-exit')
                log('FAIL agent-clean-exit: %s' % e)
    except (Terminated, KeyboardInterrupt) as e:
        failed.append('interrupted (%s)' % (e or 'Ctrl-C'))
        log('INTERRUPTED: %s' % (e or 'Ctrl-C'))
    finally:
        env.close(failed=bool(failed))
    print('%s: %d passed, %d failed%s' % (name, passed, len(failed),
                                           (' (%s)' % ', '.join(failed)) if failed else ''), flush=True)
    return 1 if failed else 0


# --------------------------------------------------------------------------
# The demo (examples/demo.sh)


ACCOUNT_KEYS = ('jid', 'password_file', 'password', 'host', 'port', 'tls', 'ca_file')


def render_demo_config(template_text, values):
    """Sets the account: keys of a YAML text to values (None removes a key).

    Line based on purpose: the demo file stays a readable, commented config.
    Keys the template lacks are added after the last line of the account block."""
    lines = template_text.splitlines()
    out = []
    seen = set()
    in_account = False
    last_key = None  # index in out after which missing keys go

    def flush():
        missing = ['  %s: %s' % (k, v) for k, v in values.items() if k not in seen and v is not None]
        if last_key is not None:
            out[last_key + 1:last_key + 1] = missing
        seen.update(values)

    for line in lines:
        if re.match(r'^account:\s*(#.*)?$', line):
            in_account = True
            last_key = len(out)
            out.append(line)
            continue
        if in_account and re.match(r'^[^\s#]', line):
            flush()
            in_account = False
        m = re.match(r'^(\s+)(\w+):', line) if in_account else None
        if m:
            k = m.group(2)
            if k in values:
                seen.add(k)
                if values[k] is None:
                    continue
                line = '%s%s: %s' % (m.group(1), k, values[k])
            out.append(line)
            last_key = len(out) - 1
            continue
        out.append(line)
    if in_account:
        flush()
    return '\n'.join(out) + '\n'


def demo(args):
    run_dir = os.path.abspath(args.run_dir)
    os.makedirs(run_dir, exist_ok=True)
    state_path = os.path.join(run_dir, 'accounts.json')
    state = {}
    if os.path.exists(state_path):
        with open(state_path) as f:
            state = json.load(f)
    port = args.port
    if not port:
        port = 5222 if port_free(5222) else free_port()
    # Same passwords and certificates as last time, so a configured client keeps working.
    passwords = state.get('passwords') or {u: make_password() for u in ('agent', 'alice', 'bob')}
    fd = os.open(state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump({'passwords': passwords}, f)
    shutil.rmtree(os.path.join(run_dir, 'data'), ignore_errors=True)
    for stale in ('adhocd.log', 'prosody.log', 'prosody.out'):
        try:
            os.remove(os.path.join(run_dir, stale))
        except FileNotFoundError:
            pass

    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGHUP, _raise_terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env = Env('demo', domain=args.domain, run_dir=run_dir, port=port)
    # Ctrl-C goes to the whole foreground process group: keep the server and the
    # agent out of it, so that the harness stops them in order.
    env.prosody.new_session = True
    env.prosody.log_level = 'info'
    agent = None
    try:
        env.start_server(users=list(passwords), passwords=passwords)
        env.set_groups({'alice': ['flatmates'], 'bob': ['admins']})
        # Contacts must see the agent online to send it commands.
        for u in ('alice', 'bob'):
            c = env.subscribe_to_agent(u)
            c.roster_set(env.jid('agent'), [], name='adhocd agent')
            c.close()
            env.clients.clear()

        with open(args.policy) as f:
            template = f.read()
        binary = os.path.abspath(args.agent)
        agent = Agent(run_dir, binary, env.prosody, env.pki, verbose=args.verbose)
        agent.sleep = env.sleep
        agent.new_session = True
        env.agent = agent
        agent.write_password(passwords['agent'])
        values = {'jid': agent.bare, 'password_file': json.dumps(agent.password_file),
                  'password': None, 'host': HOST, 'port': str(env.prosody.port), 'tls': 'required',
                  'ca_file': json.dumps(env.pki.ca_cert)}
        agent.write_config(render_demo_config(template, values), with_account=False)
        agent.start()

        if args.check:
            return demo_check(env)

        print_demo_banner(env, passwords, args)
        shown = 0
        while True:
            text = agent.log_text()
            if len(text) > shown:
                for line in text[shown:].splitlines():
                    print('adhocd: ' + line, flush=True)
                shown = len(text)
            if not agent.running():
                print('\nThe agent exited with code %s; stopping the demo.' % agent.proc.returncode)
                return 1
            if not env.prosody.running():
                print('\nProsody exited; stopping the demo. Its log: %s' % env.prosody.log_path)
                return 1
            time.sleep(0.3)
    except Failure as e:
        print('\nThe demo failed: %s\nFiles: %s' % (e, env.dir), flush=True)
        return 1
    except (KeyboardInterrupt, Terminated):
        print('\nStopping the demo...', flush=True)
        if agent is not None and agent.running():
            try:
                agent.stop()
            except Failure as e:
                print(e)
        return 0
    finally:
        env.close()


def demo_check(env):
    """Non-interactive smoke test of the demo: alice lists and runs a command."""
    alice = env.client('alice')
    cmds = alice.commands(env.agent_jid)
    print('alice sees %d commands: %s' % (len(cmds), ', '.join(sorted(cmds))))
    expect(cmds, 'alice sees no command in the demo')
    for node in sorted(cmds):
        r = alice.execute(env.agent_jid, node)
        print('  %s -> %s %s %s' % (node, r.type, r.status, r.note_text() or r.form_title or ''))
        if r.status == 'executing':
            alice.command(env.agent_jid, node, r.sessionid, 'cancel').expect_status('canceled')
    env.agent.stop()
    print('demo check passed')
    return 0


def print_demo_banner(env, passwords, args):
    d = env.domain
    port = env.prosody.port
    default_port = port == 5222
    print('''
================================================================================
 adhocd demo is running. Press Ctrl-C to stop it.

 XMPP server : Prosody on {host} port {port}, domain "{d}" (private, loopback only)
 Accounts    : alice@{d}   password {pa}   roster group "flatmates"
               bob@{d}     password {pb}   roster group "admins"
 The agent   : {agent}
               (agent@{d}, password {pg}; policy {policy})

 Connect an XMPP client as alice or bob:{portnote}
   - server/host {host}, port {port}, STARTTLS;
   - the certificate is issued by a private CA: {ca}
     import it, or accept the self-signed certificate when the client asks.
 Then run the agent's commands:
   Gajim      : the contact "adhocd agent" -> right click -> Execute Command
   Profanity  : /cmd list {agent}   then   /cmd exec <node> {agent}
   Poezio     : /command {agent}
 Files: {run} (agent log adhocd.log, server log prosody.log)
================================================================================
'''.format(host=HOST, port=port, d=d, pa=passwords['alice'], pb=passwords['bob'],
           pg=passwords['agent'], agent=env.agent_jid, policy=args.policy, ca=env.pki.ca_cert,
           run=env.dir,
           portnote='' if not default_port else
           ' the defaults work if "%s" resolves to %s.' % (d, HOST)), flush=True)


def cli(argv):
    ap = argparse.ArgumentParser(description='adhocd integration harness')
    sub = ap.add_subparsers(dest='cmd', required=True)
    d = sub.add_parser('demo', help='run a local Prosody with demo accounts and the agent')
    d.add_argument('--agent', default='build/adhocd', help='the adhocd binary')
    d.add_argument('--policy', default='examples/demo.yaml', help='the demo configuration')
    d.add_argument('--run-dir', default='demo-run', help='where generated files go')
    d.add_argument('--domain', default='localhost', help='the XMPP domain of the demo server')
    d.add_argument('--port', type=int, default=0, help='c2s port (default: 5222 if free)')
    d.add_argument('--verbose', action='store_true', help='run the agent with --verbose')
    d.add_argument('--check', action='store_true',
                   help='run a command as alice, stop and exit instead of waiting for Ctrl-C')
    args = ap.parse_args(argv)
    if slixmpp is None:
        print('python3-slixmpp is missing for /usr/bin/python3 (run tools/install-deps.sh)')
        return 1
    if args.cmd == 'demo':
        return demo(args)
    return 2


if __name__ == '__main__':
    sys.exit(cli(sys.argv[1:]))
