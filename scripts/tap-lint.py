#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tap-lint: find TAP results whose status is always 0.

In bash, a command substitution in one word of a command sets $? before a
later word of the same command is expanded: in
    tap_result "copies: $(copies st)" $?
the $? is the status of `copies`, not of the check before the line, and the
result passes whatever the check said (selftests/lib.sh, tap_result). This
flags every tap_result call whose status is a bare $? after a command
substitution ($(...), not arithmetic $((...))) in an earlier word. Take the
status first: tap_last=$?; tap_result "... $(cmd) ..." "$tap_last".

Usage: scripts/tap-lint.py FILE...; prints FILE:LINE: TEXT per finding and
exits 1 when there is one.
"""
import re
import sys

CMDSUB = re.compile(r'\$\((?!\()')


def logical_lines(text):
    """(first line number, joined text) of each line, continuations joined."""
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        start, joined = i + 1, lines[i]
        while joined.endswith('\\') and i + 1 < len(lines):
            i += 1
            joined = joined[:-1] + ' ' + lines[i].lstrip()
        yield start, joined
        i += 1


def command_end(text):
    """Index in text where its first simple command ends: an unquoted ;, &,
    | or the end, outside quotes and $(...)."""
    quote = None
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == '\\':
            i += 2
            continue
        if quote == "'":
            if c == "'":
                quote = None
        elif text.startswith('$(', i):
            depth += 1
            i += 2
            continue
        elif c == ')' and depth:
            depth -= 1
        elif c == '"':
            quote = None if quote == '"' else '"'
        elif c == "'" and not quote:
            quote = "'"
        elif not quote and not depth and c in ';&|':
            return i
        i += 1
    return len(text)


def findings(path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for no, line in logical_lines(text):
        if line.lstrip().startswith('#'):
            continue
        # tap_result as a command: first on the line or after ;, &&, ||,
        # {, then, do, else (not a word inside a string).
        for m in re.finditer(r'(?:^|[;&|{]|\b(?:then|do|else))\s*tap_result\b', line):
            # This call's words: up to the end of its simple command.
            rest = line[m.end():]
            call = rest[:command_end(rest)]
            status = re.search(r'\s\$\?\s*$', call)
            if status and CMDSUB.search(call[:status.start()]):
                yield no, line.strip()


def main(paths):
    bad = 0
    for p in paths:
        for no, text in findings(p):
            print(f'{p}:{no}: TAP status is the command substitution\'s: {text[:120]}')
            bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
