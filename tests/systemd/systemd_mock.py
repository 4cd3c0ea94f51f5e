# SPDX-License-Identifier: MIT
"""A python-dbusmock template standing in for org.freedesktop.systemd1 (the stock
`systemd` template lacks RestartUnit, ReloadUnit, ListUnitsByPatterns and failing jobs).

Load with: python3 -m dbusmock --session --template tests/systemd/systemd_mock.py \
               --parameters '{"log": "/path/calls.log"}'

Units and how their jobs end (JobNew, then JobRemoved with that result, like systemd):
  nginx.service, app-web.service   done
  app-broken.service               failed (the unit ends up failed)
  app-hang.service                 never: JobNew only
  app-locked.service               every verb: org.freedesktop.DBus.Error.AccessDenied
  app-alias.service                an alias of secret.service (GetUnit gives its object)
  secret.service                   outside the tests' allow-list
Not loaded at first, only unit files (ListUnitFiles*), as a disabled service is on a real
system: ListUnits* does not list them and GetUnit fails until LoadUnit or a job loads them:
  app-idle.service                 disabled; done
  app-masked.service               masked: jobs fail with org.freedesktop.systemd1.UnitMasked
  app-tmpl@.service                a template: LoadUnit refuses it without an instance
  other.service                    outside the tests' allow-list
Every Manager call is appended to the log file as "Method arg arg" lines: the tests read
it to prove what was (not) called."""

import fnmatch

import dbus
from gi.repository import GLib

from dbusmock import mockobject

BUS_NAME = 'org.freedesktop.systemd1'
MAIN_OBJ = '/org/freedesktop/systemd1'
MAIN_IFACE = 'org.freedesktop.systemd1.Manager'
UNIT_IFACE = 'org.freedesktop.systemd1.Unit'
SERVICE_IFACE = 'org.freedesktop.systemd1.Service'
SYSTEM_BUS = False

UNITS = {
    'nginx.service': {'desc': 'A high performance web server', 'active': 'active', 'sub': 'running',
                      'job': 'done', 'pid': 4242},
    'app-web.service': {'desc': 'The app: web', 'active': 'inactive', 'sub': 'dead', 'job': 'done'},
    'app-broken.service': {'desc': 'The app: broken', 'active': 'inactive', 'sub': 'dead', 'job': 'failed'},
    'app-hang.service': {'desc': 'The app: hangs', 'active': 'inactive', 'sub': 'dead', 'job': 'hang'},
    'app-locked.service': {'desc': 'The app: locked', 'active': 'active', 'sub': 'running', 'job': 'denied'},
    'secret.service': {'desc': 'Not for the agent', 'active': 'active', 'sub': 'running', 'job': 'done'},
    'app-idle.service': {'desc': 'The app: idle', 'active': 'inactive', 'sub': 'dead', 'job': 'done',
                         'loaded': False},
    'app-masked.service': {'desc': 'The app: masked', 'active': 'inactive', 'sub': 'dead', 'job': 'masked',
                           'loaded': False, 'load': 'masked'},
    'other.service': {'desc': 'Not for the agent either', 'active': 'inactive', 'sub': 'dead', 'job': 'done',
                      'loaded': False},
}
ALIASES = {'app-alias.service': 'secret.service'}
# ListUnitFiles: (path, state); a masked file is a symlink to /dev/null, an alias one to its unit.
UNIT_FILES = [
    ('/usr/lib/systemd/system/nginx.service', 'enabled'),
    ('/etc/systemd/system/app-web.service', 'enabled'),
    ('/etc/systemd/system/app-broken.service', 'disabled'),
    ('/etc/systemd/system/app-hang.service', 'static'),
    ('/etc/systemd/system/app-locked.service', 'enabled'),
    ('/etc/systemd/system/app-alias.service', 'alias'),
    ('/usr/lib/systemd/system/secret.service', 'enabled'),
    ('/etc/systemd/system/app-idle.service', 'disabled'),
    ('/etc/systemd/system/app-masked.service', 'masked'),
    ('/etc/systemd/system/app-tmpl@.service', 'disabled'),
    ('/usr/lib/systemd/system/other.service', 'disabled'),
]


def unit_path(name):
    return MAIN_OBJ + '/unit/' + ''.join(c if c.isalnum() else '_%02x' % ord(c) for c in name)


def log_call(mock, *words):
    if mock.sysd_log:
        with open(mock.sysd_log, 'a') as f:
            f.write(' '.join(str(w) for w in words) + '\n')


def load_unit(mock, name):
    """Creates the unit's object, as systemd loads a unit from its file."""
    u = UNITS[name]
    path = unit_path(name)
    if path in mockobject.objects:
        return
    mock.AddObject(path, UNIT_IFACE, {
        'Id': name,
        'Names': [name],
        'Description': u['desc'],
        'LoadState': u.get('load', 'loaded'),
        'ActiveState': u['active'],
        'SubState': u['sub'],
        # Units loaded later have not changed state yet: 0, as systemd says then.
        'StateChangeTimestamp': dbus.UInt64(1700000000 * 1000000 if u.get('loaded', True) else 0),
    }, [])
    obj = mockobject.objects[path]
    obj.AddProperties(SERVICE_IFACE, {
        'MainPID': dbus.UInt32(u.get('pid', 0)),
        'MemoryCurrent': dbus.UInt64(8 * 1024 * 1024),
    })


def load(mock, parameters):
    mock.sysd_log = parameters.get('log')
    mock.next_job_id = 1
    mock.AddProperties(MAIN_IFACE, {'Version': 'v252-mock'})
    for name, u in UNITS.items():
        if u.get('loaded', True):
            load_unit(mock, name)


def is_loaded(name):
    return unit_path(name) in mockobject.objects


def rows(self):
    out = []
    for name, target in list((n, n) for n in UNITS) + list(ALIASES.items()):
        if not is_loaded(target):
            continue
        obj = mockobject.objects[unit_path(target)]
        p = obj.props[UNIT_IFACE]
        out.append((name, p['Description'], p['LoadState'], p['ActiveState'], p['SubState'], '',
                    dbus.ObjectPath(unit_path(target)), dbus.UInt32(0), '', dbus.ObjectPath('/')))
    return out


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='a(ssssssouso)')
def ListUnits(self):
    log_call(self, 'ListUnits')
    return rows(self)


@dbus.service.method(MAIN_IFACE, in_signature='asas', out_signature='a(ssssssouso)')
def ListUnitsByPatterns(self, states, patterns):
    log_call(self, 'ListUnitsByPatterns', *patterns)
    return [r for r in rows(self)
            if (not states or r[3] in states) and (not patterns or any(fnmatch.fnmatch(r[0], p) for p in patterns))]


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='a(ss)')
def ListUnitFiles(self):
    log_call(self, 'ListUnitFiles')
    return [(dbus.String(p), dbus.String(st)) for p, st in UNIT_FILES]


@dbus.service.method(MAIN_IFACE, in_signature='asas', out_signature='a(ss)')
def ListUnitFilesByPatterns(self, states, patterns):
    # Like systemd: the patterns match the file's name, the states its enablement state.
    log_call(self, 'ListUnitFilesByPatterns', *patterns)
    return [(dbus.String(p), dbus.String(st)) for p, st in UNIT_FILES
            if (not states or st in states)
            and (not patterns or any(fnmatch.fnmatch(p.rsplit('/', 1)[1], pat) for pat in patterns))]


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='')
def Subscribe(self):
    log_call(self, 'Subscribe')


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='')
def Unsubscribe(self):
    log_call(self, 'Unsubscribe')


def _lookup(name):
    name = str(name)
    target = ALIASES.get(name, name)
    if target not in UNITS or not is_loaded(target):
        raise dbus.exceptions.DBusException('Unit %s not loaded.' % name,
                                            name='org.freedesktop.systemd1.NoSuchUnit')
    return target


def _load(self, name):
    """LoadUnit and jobs load a unit from its file; a template needs an instance."""
    name = str(name)
    target = ALIASES.get(name, name)
    if '@.' in target:
        raise dbus.exceptions.DBusException('Unit name %s is missing the instance name.' % name,
                                            name='org.freedesktop.DBus.Error.InvalidArgs')
    if target not in UNITS:
        raise dbus.exceptions.DBusException('Unit %s not found.' % name,
                                            name='org.freedesktop.systemd1.NoSuchUnit')
    load_unit(self, target)
    return target


@dbus.service.method(MAIN_IFACE, in_signature='s', out_signature='o')
def GetUnit(self, name):
    log_call(self, 'GetUnit', name)
    return dbus.ObjectPath(unit_path(_lookup(name)))


@dbus.service.method(MAIN_IFACE, in_signature='s', out_signature='o')
def LoadUnit(self, name):
    log_call(self, 'LoadUnit', name)
    return dbus.ObjectPath(unit_path(_load(self, name)))


def _finish(self, job_id, job_path, name, verb, how):
    obj = mockobject.objects[unit_path(name)]
    if how == 'failed':
        obj.UpdateProperties(UNIT_IFACE, {'ActiveState': 'failed', 'SubState': 'failed'})
    elif verb == 'stop':
        obj.UpdateProperties(UNIT_IFACE, {'ActiveState': 'inactive', 'SubState': 'dead'})
    else:
        obj.UpdateProperties(UNIT_IFACE, {'ActiveState': 'active', 'SubState': 'running'})
    self.EmitSignal(MAIN_IFACE, 'JobRemoved', 'uoss', [dbus.UInt32(job_id), job_path, name, how])
    return False


def _job(self, verb, name, mode):
    log_call(self, verb.capitalize() + 'Unit', name, mode)
    target = _load(self, name)
    how = UNITS[target]['job']
    if how == 'denied':
        raise dbus.exceptions.DBusException('Access denied',
                                            name='org.freedesktop.DBus.Error.AccessDenied')
    if how == 'masked':
        raise dbus.exceptions.DBusException('Unit %s is masked.' % target,
                                            name='org.freedesktop.systemd1.UnitMasked')
    job_id = self.next_job_id
    self.next_job_id += 1
    job_path = dbus.ObjectPath('%s/job/%d' % (MAIN_OBJ, job_id))
    # Like systemd: the reply first, then JobNew, then (later) JobRemoved.
    GLib.idle_add(lambda: self.EmitSignal(MAIN_IFACE, 'JobNew', 'uos', [dbus.UInt32(job_id), job_path, target]) and False)
    if how != 'hang':
        GLib.timeout_add(100, lambda: _finish(self, job_id, job_path, target, verb, how))
    return job_path


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def StartUnit(self, name, mode):
    return _job(self, 'start', name, mode)


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def StopUnit(self, name, mode):
    return _job(self, 'stop', name, mode)


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def RestartUnit(self, name, mode):
    return _job(self, 'restart', name, mode)


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def ReloadUnit(self, name, mode):
    return _job(self, 'reload', name, mode)
