// Takes apart `helm template` output for the checks that compare it with the
// sources: the dashboards of the sidecar ConfigMaps (one file a key, bytes as
// Kubernetes would store them), the rule groups of the PrometheusRule (a
// Prometheus rule file), and the manifest of the API-only mode's ConfigMap.
// Usage: node extract.cjs RENDERED.yaml OUTDIR
// Writes OUTDIR/dashboards/<key>, OUTDIR/rules.yml, OUTDIR/manifest/stack.yaml
// (each only when the rendering has it) and prints what it wrote.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const [rendered, outdir] = process.argv.slice(2);
if (!rendered || !outdir) {
  console.error("usage: extract.cjs RENDERED.yaml OUTDIR");
  process.exit(2);
}
const docs = YAML.parseAllDocuments(fs.readFileSync(rendered, "utf8"), { strict: true, uniqueKeys: true });
const write = (rel, content) => {
  const file = path.join(outdir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  console.log(rel);
};
const component = (o) => ((o.metadata || {}).labels || {})["app.kubernetes.io/component"];
let rules = 0;
for (const doc of docs) {
  if (doc.errors.length) throw new Error(`${rendered}: ${doc.errors[0].message}`);
  const o = doc.toJS();
  if (!o) continue;
  if (o.kind === "ConfigMap" && component(o) === "dashboards") {
    for (const [key, value] of Object.entries(o.data || {})) {
      if (path.basename(key) !== key) throw new Error(`dashboard key ${key} is not a file name`);
      write(path.join("dashboards", key), value);
    }
  } else if (o.kind === "ConfigMap" && component(o) === "grafana-sync") {
    write(path.join("manifest", "stack.yaml"), o.data["stack.yaml"]);
  } else if (o.kind === "PrometheusRule") {
    if (rules++) throw new Error("more than one PrometheusRule");
    write("rules.yml", YAML.stringify({ groups: o.spec.groups }, { lineWidth: 0 }));
  }
}
