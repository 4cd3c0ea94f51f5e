# SPDX-License-Identifier: MIT
"""Journal files with known content, without a running journald: entries serialized in the
journal export format (https://systemd.io/JOURNAL_EXPORT_FORMATS/) and written to
DIR/remote.journal by systemd-journal-remote (Debian package systemd-journal-remote).

    write_journal(dir, [{'_SYSTEMD_UNIT': 'nginx.service', 'MESSAGE': 'started'}, ...])

Entries keep their order: each gets increasing __REALTIME_TIMESTAMP and
__MONOTONIC_TIMESTAMP values, one _BOOT_ID and a _HOSTNAME unless given."""

import os
import shutil
import struct
import subprocess

CANDIDATES = ['/usr/lib/systemd/systemd-journal-remote', '/lib/systemd/systemd-journal-remote']
BOOT_ID = '5f3c0b1e2a4d4c6e8f90a1b2c3d4e5f6'


def journal_remote():
    """The systemd-journal-remote binary, or None."""
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which('systemd-journal-remote')


def _field(name, value):
    data = value.encode('utf-8') if isinstance(value, str) else bytes(value)
    if b'\n' in data:
        # The binary form: the name, a newline, a little-endian 64-bit length, the data.
        return name.encode() + b'\n' + struct.pack('<Q', len(data)) + data + b'\n'
    return name.encode() + b'=' + data + b'\n'


def export_format(entries, start_usec=1700000000 * 1000000):
    out = b''
    for i, entry in enumerate(entries):
        fields = {'__REALTIME_TIMESTAMP': str(start_usec + i * 1000),
                  '__MONOTONIC_TIMESTAMP': str(1000000 + i * 1000),
                  '_BOOT_ID': BOOT_ID, '_HOSTNAME': 'test', 'PRIORITY': '6'}
        fields.update(entry)
        out += b''.join(_field(k, v) for k, v in fields.items()) + b'\n'
    return out


def write_journal(directory, entries):
    """Writes entries to directory/remote.journal; raises on failure."""
    binary = journal_remote()
    if not binary:
        raise FileNotFoundError('systemd-journal-remote is needed (tools/install-deps.sh)')
    os.makedirs(directory, exist_ok=True)
    subprocess.run([binary, '--split-mode=none', '-o', os.path.join(directory, 'remote.journal'), '-'],
                   input=export_format(entries), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
