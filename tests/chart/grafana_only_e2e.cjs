// End to end test of the chart's API-only mode, without Kubernetes: renders
// the chart with real helm, lays out the pod's projected volume exactly as
// the rendered Deployment describes it (the manifest ConfigMap, the
// dashboard ConfigMaps, the Secret's keys), and runs stackd with the
// rendered container's arguments and environment against the Grafana fake.
// Then it asserts on what Grafana holds: every dashboard, in its folder,
// equal to manifests/grafana/dashboards; a dashboard edited in Grafana is
// restored; the password shows nowhere in stackd's output, /metrics or /status.
// No Docker engine is reachable (DOCKER_HOST names a socket that does not exist).
// Usage: node grafana_only_e2e.cjs HELM STACKD FAKE_GRAFANA REPO PORT
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, execFileSync } = require("child_process");
const assert = require("assert");
const YAML = require("yaml");

const [helm, stackdBin, fakeGrafanaBin, repo, portArg] = process.argv.slice(2);
if (!portArg) {
  console.error("usage: grafana_only_e2e.cjs HELM STACKD FAKE_GRAFANA REPO PORT");
  process.exit(2);
}
const stackdPort = Number(portArg);
const password = "e2e-" + Math.random().toString(36).slice(2) + "-secret";
const adminUser = "chart-admin";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "stackd-grafana-only-"));
const children = [];
let passed = 0;

function ok(what) {
  passed++;
  console.log(`ok   ${what}`);
}

function start(name, cmd, args, env) {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  child.output = "";
  const keep = (b) => {
    child.output += b.toString();
    if (child.output.length > 4 << 20) child.output = child.output.slice(-(2 << 20));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.name = name;
  children.push(child);
  return child;
}

async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ": " + last.message : ""}`);
    await new Promise((r) => setTimeout(r, 100));  // poll interval, not synchronisation
  }
}

async function main() {
  // ---- render the chart as a user of the API-only mode would install it
  const grafanaHome = path.join(work, "grafana");
  fs.mkdirSync(grafanaHome);
  const grafana = start("fake grafana", fakeGrafanaBin, [], {
    ...process.env,
    GF_SERVER_HTTP_ADDR: "127.0.0.1",
    GF_SERVER_HTTP_PORT: "0",
    GF_SECURITY_ADMIN_USER: adminUser,
    GF_SECURITY_ADMIN_PASSWORD: password,
    GF_PATHS_DATA: grafanaHome,
  });
  const grafanaAddr = await until("the Grafana fake to listen", 10000, () => {
    const m = /listening on ([0-9.]+:\d+)/.exec(grafana.output);
    return m && m[1];
  });
  const grafanaUrl = `http://${grafanaAddr}`;
  const rendered = execFileSync(helm, ["template", "stackd", path.join(repo, "charts/stackd"),
    "-f", path.join(repo, "charts/stackd/examples/api-only.yaml"),
    "--set", `grafanaSync.grafanaUrl=${grafanaUrl}`, "--set", "grafanaSync.resyncInterval=2s"], { encoding: "utf8" });
  const objects = YAML.parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const deployment = objects.find((o) => o.kind === "Deployment" &&
    o.metadata.labels["app.kubernetes.io/component"] === "grafana-sync");
  assert(deployment, "no grafana-sync Deployment rendered");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  // The Secret the user points the chart at (kube-prometheus-stack's keys).
  const secret = { "admin-user": adminUser, "admin-password": password };
  assert.strictEqual(deployment.spec.template.spec.containers[0].env.find((e) => e.name === "GRAFANA_ADMIN_USER")
    .valueFrom.secretKeyRef.key, "admin-user");

  // ---- lay out the projected volume as the kubelet would
  const mount = container.volumeMounts.find((m) => m.name === "manifest");
  const volume = pod.volumes.find((v) => v.name === "manifest");
  const root = path.join(work, "etc-stackd");
  for (const source of volume.projected.sources) {
    const from = source.configMap
      ? (find("ConfigMap", source.configMap.name) || assert.fail(`ConfigMap ${source.configMap.name} is not rendered`)).data
      : secret;
    for (const item of (source.configMap || source.secret).items) {
      assert(item.key in from, `key ${item.key} missing`);
      fs.mkdirSync(path.dirname(path.join(root, item.path)), { recursive: true });
      fs.writeFileSync(path.join(root, item.path), from[item.key]);
    }
  }
  ok("projected volume laid out from the rendered ConfigMaps and the Secret");

  // ---- run stackd with the rendered arguments and environment
  const args = container.args.map((a) => (a.startsWith(mount.mountPath + "/") ? root + a.slice(mount.mountPath.length) : a));
  const listen = args.indexOf("--listen");
  assert(listen >= 0, "rendered args carry no --listen");
  args[listen + 1] = `127.0.0.1:${stackdPort}`;
  const env = { PATH: process.env.PATH, DOCKER_HOST: `unix://${work}/no-docker-here.sock` };
  for (const e of container.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else env[e.name] = secret[e.valueFrom.secretKeyRef.key];
  }
  env.STACKD_STATE_DIR = path.join(work, "state");
  fs.mkdirSync(env.STACKD_STATE_DIR);
  const stackd = start("stackd", stackdBin, args, env);
  stackd.on("exit", (code) => { stackd.exited = code; });

  // ---- Grafana ends up holding every dashboard, equal to the source, in its folder
  const auth = "Basic " + Buffer.from(`${adminUser}:${password}`).toString("base64");
  const api = async (method, p, body) => {
    const res = await fetch(grafanaUrl + p, { method, headers: { Authorization: auth, "Content-Type": "application/json" },
      body: body && JSON.stringify(body) });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  // Grafana assigns id and version; stackd marks what it created with the
  // "stackd-managed" tag (it deletes only those). Everything else is the file's.
  const strip = (d) => {
    const c = { ...d };
    delete c.id;
    delete c.version;
    if (Array.isArray(c.tags)) c.tags = c.tags.filter((t) => t !== "stackd-managed");
    return c;
  };
  const sources = fs.readdirSync(path.join(repo, "manifests/grafana/dashboards")).filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(repo, "manifests/grafana/dashboards", f), "utf8")));
  assert(sources.length > 0);
  const allSynced = async () => {
    if (stackd.exited !== undefined) throw new Error(`stackd exited with ${stackd.exited}:\n${stackd.output}`);
    for (const src of sources) {
      const r = await api("GET", `/api/dashboards/uid/${src.uid}`);
      if (r.status !== 200) return false;
      assert.deepStrictEqual(strip(r.json.dashboard), strip(src));
      assert.strictEqual(r.json.meta.folderTitle, "Ollama");
    }
    return true;
  };
  await until("Grafana to hold every dashboard", 60000, allSynced);
  ok(`Grafana holds all ${sources.length} dashboards, equal to manifests/grafana/dashboards, in folder Ollama`);

  // ---- a dashboard edited in Grafana's UI is restored by the resync
  const victim = sources[0];
  const held = (await api("GET", `/api/dashboards/uid/${victim.uid}`)).json.dashboard;
  const edit = await api("POST", "/api/dashboards/db", { dashboard: { ...held, title: "edited by hand" }, overwrite: true });
  assert.strictEqual(edit.status, 200, JSON.stringify(edit.json));
  await until("the edited dashboard to be restored", 60000, async () => {
    const r = await api("GET", `/api/dashboards/uid/${victim.uid}`);
    return r.status === 200 && r.json.dashboard.title === victim.title;
  });
  await until("every dashboard to be equal again", 10000, allSynced);
  ok("a dashboard edited in Grafana is restored");

  // ---- stackd serves its endpoints, and the password is nowhere
  const healthz = await until("/healthz to answer 200", 10000, async () =>
    (await fetch(`http://127.0.0.1:${stackdPort}/healthz`)).status === 200);
  assert(healthz);
  const metrics = await (await fetch(`http://127.0.0.1:${stackdPort}/metrics`)).text();
  const status = await (await fetch(`http://127.0.0.1:${stackdPort}/status`)).text();
  assert(/stackd_/.test(metrics), "no stackd metrics");
  for (const [what, text] of [["/metrics", metrics], ["/status", status], ["stackd's output", stackd.output]])
    assert(!text.includes(password), `the Grafana password appears in ${what}`);
  ok("/healthz answers; the password is not in /metrics, /status or the log");
}

main().then(
  () => { console.log(`grafana-only e2e: ${passed} passed, 0 failed`); },
  (e) => {
    console.error(`FAIL ${e.stack || e}`);
    for (const c of children) console.error(`---- ${c.name} output (tail)\n${c.output.slice(-4000)}`);
    console.log(`grafana-only e2e: ${passed} passed, 1 failed`);
    process.exitCode = 1;
  },
).finally(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
});
