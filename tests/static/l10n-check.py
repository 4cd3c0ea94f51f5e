#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks the catalog of agent/l10n.c against the code: every msgid written in l10n(lang, "...")
or N_("...") in agent/ and plugins/ has an entry, and every entry is used. (Order and printf
conversions are checked by tests/test-l10n.c.)"""
import pathlib
import re
import sys

# One C string literal, or several adjacent ones (concatenated by the compiler).
LITERAL = r'"(?:[^"\\\n]|\\.)*"'
LITERALS = rf'((?:{LITERAL}\s*)+)'
# l10n(<lang expression without commas or parentheses>, "..." "...")
CALL = re.compile(r'\bl10n\(\s*[^,()"]+,\s*' + LITERALS + r'\)')
MARK = re.compile(r'\bN_\(\s*' + LITERALS + r'\)')
# Any l10n( call, to tell the ones with a literal from the others.
ANY_CALL = re.compile(r'\bl10n\(\s*[^,()"]+,\s*([^)]*)\)')
ENTRY = re.compile(r'\{\s*' + LITERALS + r',\s*' + LITERALS + r'\}')


def join(literals):
    return ''.join(m[1:-1] for m in re.findall(LITERAL, literals))


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group().count('\n'), text, flags=re.S)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else '.')
    source = strip_comments((root / 'agent/l10n.c').read_text())
    table = source[source.index('catalog[] = {'):]
    table = table[:table.index('\n};')]
    catalog = {}
    bad = 0
    for m in ENTRY.finditer(table):
        msgid = join(m.group(1))
        if msgid in catalog:
            print(f'agent/l10n.c: "{msgid}" is in the catalog twice')
            bad = 1
        catalog[msgid] = join(m.group(2))

    used = {}
    for path in sorted(list(root.glob('agent/*.[ch]')) + list(root.glob('plugins/**/*.[ch]'))):
        if path.name in ('l10n.c', 'l10n.h'):
            continue
        text = strip_comments(path.read_text())
        for rx in (CALL, MARK):
            for m in rx.finditer(text):
                line = text.count('\n', 0, m.start()) + 1
                used.setdefault(join(m.group(1)), f'{path.relative_to(root)}:{line}')
        # Each l10n( must be read: a lang without commas or parentheses, then the msgid.
        starts = {m.start() for m in ANY_CALL.finditer(text)}
        for m in re.finditer(r'\bl10n\(', text):
            if m.start() not in starts:
                line = text.count('\n', 0, m.start()) + 1
                print(f'{path.relative_to(root)}:{line}: l10n() call not understood; write '
                      f'l10n(lang, "msgid")')
                bad = 1
        # l10n(lang, something) whose msgid is not a literal must get it from an N_() mark.
        for m in ANY_CALL.finditer(text):
            arg = m.group(1).strip()
            # A name, a member or a call returning a marked msgid: tables[i].text, f(x).
            if not arg.startswith('"') and not re.fullmatch(r'[\w\[\]\.>\-]+(\([\w\.>\-]*)?',
                                                            arg):
                line = text.count('\n', 0, m.start()) + 1
                print(f'{path.relative_to(root)}:{line}: l10n() needs a literal or a name, '
                      f'not "{arg}"')
                bad = 1

    for msgid, where in sorted(used.items(), key=lambda x: x[1]):
        if msgid not in catalog:
            print(f'{where}: "{msgid}" has no entry in agent/l10n.c')
            bad = 1
    for msgid in sorted(set(catalog) - set(used)):
        print(f'agent/l10n.c: "{msgid}" is used nowhere')
        bad = 1
    print(f'{len(catalog)} entries, {len(used)} msgids used')
    return bad


if __name__ == '__main__':
    sys.exit(main())
