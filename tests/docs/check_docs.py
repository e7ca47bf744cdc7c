#!/usr/bin/env python3
"""Help and docs agree (issue 24), checked on the built binary:

  1. every flag README.md and docs/*.md give a stackd verb (`stackd VERB ...
     --flag`, `VERB --flag`, and the flags of VERB's row `| `stackd VERB` |
     ... |` in docs/cli.md) is in that verb's --help, and every flag named
     alone (`--flag`) is in some verb's --help;
  2. every flag of a verb's --help is documented in that verb's row of
     docs/cli.md (a row that names no flag: in the documents it links);
  3. every STACKD_* / DOCKER_* variable the docs mention is in a --help (or,
     for the scripts' own, read by something users run: scripts/,
     Dockerfile, .ci/, deploy/; not the tests), and every one --help names
     is documented;
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
VERBS = ['validate', 'diff', 'render', 'apply', 'down', 'run', 'status', 'healthcheck', 'ollama-exporter', 'version']
DOCS = [os.path.join(ROOT, 'README.md')] + sorted(glob.glob(os.path.join(ROOT, 'docs', '*.md')))
FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*\*?|-[a-zA-Z])(?![\w-])')
LONG_FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*\*?)')
ENV = re.compile(r'\b((?:STACKD|DOCKER)_[A-Z][A-Z0-9_]*)\b')
SPAN = re.compile(r'`([^`\n]+)`')
VERB_ROW = re.compile(r'^\|\s*`stackd ([a-z-]+)`\s*\|(.*)\|\s*$')
CLI_DOC = os.path.join(ROOT, 'docs', 'cli.md')
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


def row_flags(text):
    """Every flag a text names: `-f/--file`, `--git-*`, `-o json`."""
    return set(FLAG.findall(text))


def matches_documented(flag, named):
    """`flag` of a --help is among the flags a text names (`--git-*` names every --git- flag)."""
    return flag in named or any(n.endswith('*') and flag.startswith(n[:-1]) for n in named)


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
    # What users run, not the tests: a variable only a test reads is no
    # reason to document it, nor an excuse for a document to name it.
    for pattern in ('scripts/**/*', 'Dockerfile', '.ci/**/*', 'deploy/**/*'):
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
                m = re.match(r'^(validate|diff|render|apply|down|run|status|healthcheck)\s+(--[a-z][a-z0-9-]*)', piece)
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

    # 1 and 2 for docs/cli.md's table: each verb's row names its flags, no others.
    rows = {}
    with open(CLI_DOC, encoding='utf-8') as f:
        for n, line in enumerate(f.read().splitlines(), 1):
            m = VERB_ROW.match(line)
            if m:
                rows[m.group(1)] = (n, m.group(2).replace('\\|', '/'))
    cli_rel = os.path.relpath(CLI_DOC, ROOT)
    for verb, (n, row) in sorted(rows.items()):
        if verb not in verb_flags:
            problems.append(f'{cli_rel}:{n}: `stackd {verb}` is no verb this check knows (add it to VERBS)')
            continue
        for flag in row_flags(row):
            if not matches(flag, verb_flags[verb]):
                problems.append(f'{cli_rel}:{n}: `stackd {verb}` has no {flag} (see stackd {verb} --help)')
    for verb in VERBS:
        own = help_flags(verb_help[verb]) - global_flags - {'-h', '--help'}
        if not own:
            continue
        if verb not in rows:
            problems.append(f'{cli_rel}: no row `stackd {verb}` for its flags {" ".join(sorted(own))}')
            continue
        n, row = rows[verb]
        named = row_flags(row)
        where = f'{cli_rel}:{n}'
        if not named:  # the row sends the reader to another document: the flags are there
            named = set()
            for target in re.findall(r'\]\(([^)\s#]+)', row):
                linked = os.path.join(os.path.dirname(CLI_DOC), target)
                if os.path.isfile(linked):
                    with open(linked, encoding='utf-8') as f:
                        named |= row_flags(f.read())
            where += ' (and the documents it links)'
        for flag in sorted(own):
            if not matches_documented(flag, named):
                problems.append(f'{where}: stackd {verb} {flag} is in --help but not in its row')
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
