#!/usr/bin/env python3
"""Help and docs agree (issue 24), checked on the built binary:

  1. every flag README.md and docs/*.md give a stackd verb (`stackd VERB ...
     --flag`, `VERB --flag`) is in that verb's --help, and every flag named
     alone (`--flag`) is in some verb's --help;
  2. every flag of every verb's --help is documented somewhere;
  3. every STACKD_* / DOCKER_* variable the docs mention is in a --help (or,
     for the scripts' own, read by a script), and every one --help names is
     documented;
  4. no document cites a file that is not in the repository (links, `paths`,
     `*.md` names) or a path of someone's machine (/home/..., /work/...).

usage: check_docs.py STACKD
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VERBS = ['validate', 'diff', 'apply', 'down', 'run', 'status', 'healthcheck', 'ollama-exporter', 'version']
DOCS = [os.path.join(ROOT, 'README.md')] + sorted(glob.glob(os.path.join(ROOT, 'docs', '*.md')))
FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*\*?|-[a-zA-Z])(?![\w-])')
LONG_FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*\*?)')
ENV = re.compile(r'\b((?:STACKD|DOCKER)_[A-Z][A-Z0-9_]*)\b')
SPAN = re.compile(r'`([^`\n]+)`')
MACHINE_PATH = re.compile(r'(?<![\w.])/(?:home|work|Users|root)/[\w.-]+')


def help_text(stackd, verb=None):
    args = [stackd] + ([verb] if verb else []) + ['--help']
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def help_flags(text):
    """The flags of a CLI11 --help: those at the start of an option line."""
    flags = set()
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith('-'):
            continue
        head = s.split('  ')[0].split(' ')[0]
        for f in head.split(','):
            if f.startswith('-'):
                flags.add(f)
    return flags


def matches(flag, known):
    if flag.endswith('*'):
        return any(k.startswith(flag[:-1]) for k in known)
    return flag in known


def commands_in(text):
    """(verb, rest) for each `stackd VERB rest` or `VERB --...` in a text."""
    out = []
    for m in re.finditer(r'\bstackd\s+([a-z-]+)([^`\n]*)', text):
        out.append((m.group(1), m.group(2)))
    return out


def main():
    stackd = sys.argv[1]
    problems = []
    top = help_text(stackd)
    global_flags = help_flags(top)
    verb_help = {v: help_text(stackd, v) for v in VERBS}
    verb_flags = {v: help_flags(t) | global_flags for v, t in verb_help.items()}
    every_flag = set().union(*verb_flags.values())
    all_help = top + ''.join(verb_help.values())

    scripts = ''
    for pattern in ('scripts/*.sh', 'tests/**/*.sh', 'tests/**/*.py', 'tests/**/*.cpp', 'tests/**/*.txt',
                    'bench/**/*', 'CMakeLists.txt', 'Dockerfile', 'deploy/*', '.ci/run'):
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            if os.path.isfile(path):
                with open(path, encoding='utf-8', errors='replace') as f:
                    scripts += f.read()

    documented = ''
    repo_files = subprocess.run(['git', '-C', ROOT, 'ls-files'], capture_output=True, text=True).stdout.split('\n')
    basenames = {os.path.basename(p) for p in repo_files if p}
    top_level = {p.split('/')[0] for p in repo_files if p}
    for doc in DOCS:
        rel = os.path.relpath(doc, ROOT)
        with open(doc, encoding='utf-8') as f:
            text = f.read()
        documented += text
        in_code = False
        for n, line in enumerate(text.splitlines(), 1):
            where = f'{rel}:{n}'
            if line.startswith('```'):
                in_code = not in_code
            code_line = in_code or line.startswith('    ')
            # 1. Flags given to a verb.
            pieces = [line] if code_line else SPAN.findall(line)
            for piece in pieces:
                for verb, rest in commands_in(piece):
                    if verb not in verb_flags:
                        continue
                    rest = rest.split('#')[0].split('|')[0] if code_line else rest
                    for flag in LONG_FLAG.findall(rest):
                        if not matches(flag, verb_flags[verb]):
                            problems.append(f'{where}: `stackd {verb}` has no {flag} (see stackd {verb} --help)')
                m = re.match(r'^(validate|diff|apply|down|run|status|healthcheck)\s+(--[a-z][a-z0-9-]*)', piece)
                if m and not code_line and not matches(m.group(2), verb_flags[m.group(1)]):
                    problems.append(f'{where}: `{m.group(1)}` has no {m.group(2)}')
            for span in SPAN.findall(line):
                if re.fullmatch(r'--[a-z][a-z0-9-]*\*?(?:[ =].*)?', span):
                    flag = LONG_FLAG.match(span).group(1)
                    if not matches(flag, every_flag):
                        problems.append(f'{where}: {flag} is no flag of any stackd verb')
            # 3. Variables.
            for var in ENV.findall(line):
                if var not in all_help and var not in scripts:
                    problems.append(f'{where}: {var} is in no --help and read by no script')
            # 4. Citations.
            for m in MACHINE_PATH.finditer(line):
                problems.append(f'{where}: {m.group(0)} is a path on someone\'s machine')
            for target in re.findall(r'\]\(([^)\s]+)\)', line):
                if re.match(r'^(https?:|mailto:|#)', target):
                    continue
                path = os.path.normpath(os.path.join(os.path.dirname(doc), target.split('#')[0]))
                if not os.path.exists(path):
                    problems.append(f'{where}: link to {target}, which is not in the repository')
            for span in SPAN.findall(line):
                token = span.strip().rstrip('.,:;')
                if not re.fullmatch(r'[\w.-]+(/[\w.*-]+)+/?', token) or token.split('/')[0] not in top_level:
                    continue
                if not glob.glob(os.path.join(ROOT, token)):
                    problems.append(f'{where}: `{token}` is not in the repository')
            for name in re.findall(r'(?<![\w/.-])([\w-]+\.md)\b', line):
                if name not in basenames:
                    problems.append(f'{where}: {name} is not in the repository')

    # 2. Every flag of --help is documented.
    for verb, flags in verb_flags.items():
        for flag in sorted(flags - global_flags - {'-h', '--help'}):
            if flag.startswith('--') and not re.search(r'(?<![\w-])' + re.escape(flag) + r'(?![\w-])', documented):
                if not any(flag.startswith(w[:-1]) for w in LONG_FLAG.findall(documented) if w.endswith('*')):
                    problems.append(f'stackd {verb} {flag} is in --help but in no document')
    for flag in sorted(global_flags - {'-h', '--help'}):
        if flag.startswith('--') and flag not in documented:
            problems.append(f'stackd {flag} is in --help but in no document')
    for var in sorted(set(ENV.findall(all_help))):
        if var not in documented:
            problems.append(f'{var} is in --help but in no document')

    for p in problems:
        print('FAIL', p)
    print(f'{len(DOCS)} documents, {len(VERBS)} verbs checked: ' + ('agree' if not problems else f'{len(problems)} problems'))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
