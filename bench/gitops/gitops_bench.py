#!/usr/bin/env python3
"""Push to converged: a commit that changes one rule, measured until the rule
is active in Prometheus (/api/v1/rules serves it), under a running
`stackd run --git-url ...`, two ways:

  webhook   the push is followed by POST /hooks/git (GitHub's signature), as
            a git host sends it; --git-interval 1h, so only the hook counts
  interval  no hook; --git-interval 1s

Baseline, in the same run on the same engine: the same change made by editing
the rules file of `stackd run -f` (written to a temporary file and renamed,
as editors save). The clock starts when the change is available: the file
renamed, or `git push` returned (the commit is on the remote). It stops at
the first poll (every 20 ms) that sees the new rule.

Target: webhook p95 within 1.5x of the file edit's p95.

The remote is git http-backend behind nginx with a token
(sources/git/testdata/git-servers.sh), on 127.0.0.1.

Usage: gitops_bench.py STACKD_BIN DOCKER_SOCKET SERVERS_DIR [--trials 20]
"""
import argparse, shutil, hashlib, hmac, http.client, json, os, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import pct


PROM, NODE, API, HTTP_GIT = 29680, 29681, 29689, 29686
STACK = "bench-gitops"

def manifest():
    return f"""apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {{name: {STACK}}}
spec:
  network: host
  stackd: {{port: {API}}}
  prometheus:
    image: stackd-test/prometheus:2.42
    port: {PROM}
    scrapeInterval: 15s
    rules: [rules.yml]
"""

def rules(record):
    return f"groups:\n- name: bench\n  rules:\n  - record: {record}\n    expr: vector(1)\n"

def get(port, path, timeout=2):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    except OSError:
        return 0, ""

def post_hook(secret, body):
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    c = http.client.HTTPConnection("127.0.0.1", API, timeout=5)
    c.request("POST", "/hooks/git", body=body, headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 202, r.status

def wait_rule(record, deadline_s=60):
    needle = '"' + record + '"'
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        _, body = get(PROM, "/api/v1/rules")
        if needle in body:
            return time.monotonic()
        time.sleep(0.02)
    raise RuntimeError("rule " + record + " never became active")

def git(work, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    subprocess.run(["git", *args], cwd=work, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

class Daemon:
    def __init__(self, stackd, env, args, log_path):
        self.log = open(log_path, "w")
        self.p = subprocess.Popen([stackd, "run", "--resync", "10m", *args], env=env, stdout=self.log, stderr=self.log)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            if get(API, "/readyz")[0] == 200:
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        sys.exit("daemon never became ready; log in " + log_path)
    def stop(self):
        self.p.terminate()
        self.p.wait(15)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stackd")
    ap.add_argument("socket")
    ap.add_argument("servers")
    ap.add_argument("--trials", type=int, default=20)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="stackd-gitops-bench-")
    env = dict(os.environ, DOCKER_HOST="unix://" + a.socket)
    secret = os.urandom(16).hex()
    open(os.path.join(work, "hook-secret"), "w").write(secret)

    # The repository: a bare one the server exports and a work tree that pushes to it.
    bare = os.path.join(a.servers, "repos", "bench.git")
    tree = os.path.join(work, "tree")
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", bare], check=True)
    subprocess.run(["git", "init", "-q", "--initial-branch=main", tree], check=True)
    git(tree, "remote", "add", "origin", bare)
    os.makedirs(os.path.join(tree, "deploy"))
    open(os.path.join(tree, "deploy", "stack.yaml"), "w").write(manifest())
    def push_rule(record):
        open(os.path.join(tree, "deploy", "rules.yml"), "w").write(rules(record))
        git(tree, "add", "-A")
        git(tree, "commit", "-qm", record)
        git(tree, "push", "-q", "origin", "HEAD:refs/heads/main")

    files = os.path.join(work, "files")
    os.makedirs(files)
    mpath = os.path.join(files, "stack.yaml")
    open(mpath, "w").write(manifest())

    git_args = ["--git-url", f"http://127.0.0.1:{HTTP_GIT}/bench.git", "--git-token-file",
                os.path.join(a.servers, "http-token"), "--git-ref", "main", "--git-path", "deploy/stack.yaml"]
    results = {}
    try:
        for mode in ("file", "webhook", "interval"):
            denv = dict(env, STACKD_STATE_DIR=os.path.join(work, "state-" + mode))
            if mode == "file":
                args = ["-f", mpath]
            elif mode == "webhook":
                args = git_args + ["--git-interval", "1h", "--webhook-secret-file", os.path.join(work, "hook-secret")]
            else:
                args = git_args + ["--git-interval", "1s"]
            # Each daemon starts on a state of its own, converged before the trials.
            start = f"start_{mode}:bench"
            if mode == "file":
                open(os.path.join(files, "rules.yml"), "w").write(rules(start))
            else:
                push_rule(start)
            d = Daemon(a.stackd, denv, args, os.path.join(work, mode + ".log"))
            try:
                wait_rule(start)
                lat = []
                for i in range(a.trials):
                    record = f"{mode}_{i}:bench"
                    if mode == "file":
                        tmp = os.path.join(files, "rules.yml.tmp")
                        open(tmp, "w").write(rules(record))
                        os.rename(tmp, os.path.join(files, "rules.yml"))
                        t0 = time.monotonic()
                    else:
                        push_rule(record)
                        t0 = time.monotonic()
                        if mode == "webhook":
                            post_hook(secret, json.dumps({"ref": "refs/heads/main"}).encode())
                    lat.append(wait_rule(record) - t0)
                    # The trials are independent: the next change waits for
                    # this one to be done (not timed).
                    end = time.monotonic() + 10
                    while time.monotonic() < end:
                        _, st = get(API, "/status")
                        try:
                            conds = {c["type"]: c["status"] for c in json.loads(st).get("conditions", [])}
                        except ValueError:
                            conds = {}
                        if conds.get("Progressing") == "False":
                            break
                        time.sleep(0.05)
                results[mode] = lat
            finally:
                d.stop()
    finally:
        subprocess.run([a.stackd, "down", "--volumes", "-f", mpath], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    shutil.rmtree(work, ignore_errors=True)  # kept, with the daemons' logs, when a run fails
    ms = lambda s: f"{s * 1000:.0f} ms"
    names = {"file": "file edit (baseline)", "webhook": "git push + webhook", "interval": "git push, 1 s interval"}
    for mode, lat in results.items():
        print(f"{names[mode]:<26} {len(lat)} trials: p50 {ms(pct(lat, 50))}  p95 {ms(pct(lat, 95))}  max {ms(max(lat))}")
    f95 = pct(results["file"], 95)
    for mode in ("webhook", "interval"):
        r = results[mode]
        print(f"ratio {mode}/file: p50 {pct(r, 50) / pct(results['file'], 50):.2f}x  p95 {pct(r, 95) / f95:.2f}x")
    ratio = pct(results["webhook"], 95) / f95
    print(f"target webhook p95 within 1.5x of the file edit's p95: {'MET' if ratio <= 1.5 else 'MISSED'} ({ratio:.2f}x)")

if __name__ == "__main__":
    main()
