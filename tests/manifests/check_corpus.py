#!/usr/bin/env python3
"""Runs `stackd VERB -f M` on every broken manifest in tests/manifests/invalid
and checks that each is rejected as its header says:

    # expect: LINE:COL KEY WORDS             a problem in the manifest itself
    # expect: REL/PATH LINE:COL KEY WORDS    a problem in a file it references
    # verbs: validate                        only these verbs find it (promtool's
                                             verdicts: validate runs it locally)

The first expectation must be the first line of stderr that is not a
`warning:` (what a user reads first: `<file>:LINE:COL: ...KEY WORDS...`);
every other one must start a line of the output. A referenced file is named
relative to the manifest (REL/PATH, or a file of that directory when it ends
in '/'), never by an absolute path: the manifest is given by its name from
its own directory, and no output may name a file by an absolute path. The
exit status must be 2 (invalid manifest), no run may crash or time out, and
the output must not echo a whole long value back.

usage: check_corpus.py STACKD VERB [VERB...]   (validate, diff, down, apply)
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'invalid')
MIN_CASES = 150
EXPECT = re.compile(r'^# expect: (?:(\S*/\S*) )?(\d+):(\d+) (.+)$')
VERBS = re.compile(r'^# verbs: (.+)$')
# A file named from /: the corpus's own directory, or a path inside a container.
ABSOLUTE_FILE = re.compile(r'(?<![\w.:/-])(/(?:[\w.@-]+/)+[\w.@-]+\.(?:ya?ml|json|tmpl|tpl|txt|conf|rules))\b')


def header(path):
    """The expectations and the verbs (None: every verb) of a case."""
    out, verbs = [], None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = EXPECT.match(line.rstrip('\n'))
            v = VERBS.match(line.rstrip('\n'))
            if m:
                out.append(m.groups())
            elif v:
                verbs = v.group(1).split()
            else:
                break
    return out, verbs


def expectations(path):
    return header(path)[0]


def check(stackd, verb, path):
    wanted = expectations(path)
    if not wanted:
        return ['no "# expect:" header']
    try:
        # From the manifest's directory, by its name: every file it names is then relative.
        r = subprocess.run([stackd, verb, '-f', os.path.basename(path)], cwd=os.path.dirname(path),
                           capture_output=True, text=True, errors='replace', timeout=60)
    except subprocess.TimeoutExpired:
        return ['timed out']
    out = r.stdout + r.stderr
    problems = []
    if r.returncode != 2:
        problems.append(f'exit status {r.returncode}, want 2')
    first_line = next((l for l in r.stderr.splitlines() if l.strip() and not l.startswith('warning:')), '')
    for n, (rel, line, col, words) in enumerate(wanted):
        file_pattern = re.escape(os.path.basename(path)) if rel is None else \
            re.escape(rel) + (r'[^\s:]*' if rel.endswith('/') else '')
        pattern = re.compile(r'^' + file_pattern + ':' + line + ':' + col + r': (.*)$', re.M)
        if n == 0:
            m = pattern.match(first_line)
            if not m or words not in m.group(1):
                problems.append(f'the first line is not "{rel or os.path.basename(path)}:{line}:{col}: ...{words}...": '
                                f'{first_line!r}')
        elif not any(words in m.group(1) for m in pattern.finditer(out)):
            problems.append(f'no "{rel or os.path.basename(path)}:{line}:{col}: ...{words}..."')
    for m in ABSOLUTE_FILE.finditer(out):
        problems.append(f'names a file by an absolute path: {m.group(1)}')
        break
    if len(out) > 64 * 1024:
        problems.append(f'{len(out)} bytes of output: a long value was echoed back')
    if problems:
        problems.append('output: ' + out[:800])
    return problems


def main():
    stackd, verbs = os.path.abspath(sys.argv[1]), sys.argv[2:]
    cases = sorted(f for f in os.listdir(CORPUS) if f.endswith('.yaml'))
    failed = 0
    if len(cases) < MIN_CASES:
        print(f'FAIL: only {len(cases)} broken manifests, want at least {MIN_CASES}')
        failed += 1
    for verb in verbs:
        for name in cases:
            only = header(os.path.join(CORPUS, name))[1]
            if only is not None and verb not in only:
                continue
            problems = check(stackd, verb, os.path.join(CORPUS, name))
            if problems:
                failed += 1
                print(f'FAIL {verb} {name}:\n  ' + '\n  '.join(problems))
        print(f'{verb}: {len(cases)} broken manifests checked')
    print('all rejected as expected' if not failed else f'{failed} failures')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
