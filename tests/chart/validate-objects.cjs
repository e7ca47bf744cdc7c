// Validates every object of `helm template` output offline against the
// Kubernetes and prometheus-operator schemas (kubernetes-models), twice:
//  - at run time with the models' own validators (types, required fields,
//    formats, enums);
//  - at compile time by the TypeScript compiler on the models' types, because
//    the run-time validators accept unknown fields and the API server (with
//    strict field validation, kubectl's default) rejects them: each object
//    becomes an object literal, whose excess-property check makes any unknown
//    field at any depth an error.
// Usage: node validate-objects.cjs WORKDIR RENDERED.yaml...
// WORKDIR must lie below the node_modules holding the models and typescript.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const YAML = require("yaml");

const CRD_GROUPS = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator/monitoring.coreos.com" };

function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind))
    throw new Error(`apiVersion/kind missing or malformed: ${apiVersion} ${kind}`);
  const slash = apiVersion.indexOf("/");
  if (slash < 0) return `kubernetes-models/${apiVersion}/${kind}`;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (CRD_GROUPS[group]) return `${CRD_GROUPS[group]}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

function main() {
  const [workdir, ...files] = process.argv.slice(2);
  if (!workdir || files.length === 0) {
    console.error("usage: validate-objects.cjs WORKDIR RENDERED.yaml...");
    process.exit(2);
  }
  fs.mkdirSync(workdir, { recursive: true });
  const failures = [];
  let count = 0;
  const tsLines = [];
  const lineOwner = {};
  const imports = new Map();
  const objects = [];
  for (const file of files) {
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { strict: true, uniqueKeys: true });
    for (const doc of docs) {
      if (doc.errors.length) {
        failures.push(`${file}: not YAML: ${doc.errors[0].message}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj === null || obj === undefined) continue;  // an empty document between ---
      const name = `${file}: ${obj.kind} ${obj.metadata && obj.metadata.name}`;
      count++;
      let mod;
      try {
        mod = modelPath(obj.apiVersion, obj.kind);
        require.resolve(mod, { paths: [workdir] });
      } catch (e) {
        failures.push(`${name}: no schema for ${obj.apiVersion} ${obj.kind} (${e.message.split("\n")[0]})`);
        continue;
      }
      const Model = require(require.resolve(mod, { paths: [workdir] }))[obj.kind];
      try {
        new Model(obj).validate();
      } catch (e) {
        failures.push(`${name}: ${e.message}`);
      }
      const alias = `M_${imports.size}`;
      if (!imports.has(mod)) imports.set(mod, alias);
      objects.push({ name, alias: imports.get(mod), kind: obj.kind, json: JSON.stringify(obj) });
    }
  }
  for (const [mod, alias] of imports) tsLines.push(`import * as ${alias} from ${JSON.stringify(mod)};`);
  objects.forEach((o, i) => {
    lineOwner[tsLines.length + 1] = o.name;
    tsLines.push(`export const o${i}: ${o.alias}.I${o.kind} = ${o.json};`);
  });
  const tsFile = path.join(workdir, "rendered.ts");
  fs.writeFileSync(tsFile, tsLines.join("\n") + "\n");
  const tsc = require.resolve("typescript/bin/tsc", { paths: [workdir] });
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck", "--module", "commonjs",
      "--moduleResolution", "node", "--target", "es2020", "--noErrorTruncation", tsFile], { encoding: "utf8" });
  } catch (e) {
    const out = (e.stdout || "") + (e.stderr || "");
    for (const line of out.split("\n")) {
      const m = /^[^(]*\((\d+),\d+\): (error .*)$/.exec(line);
      if (m) failures.push(`${lineOwner[m[1]] || "rendered.ts:" + m[1]}: ${m[2].slice(0, 2000)}`);
      else if (line.trim() && !/^\s/.test(line)) failures.push(`tsc: ${line.slice(0, 2000)}`);
    }
    if (failures.length === 0) failures.push(`tsc failed: ${out.slice(0, 2000)}`);
  }
  if (count === 0) failures.push("no objects rendered");
  for (const f of failures) console.error(`INVALID ${f}`);
  console.log(`${count} objects checked, ${failures.length} problems`);
  process.exit(failures.length ? 1 : 0);
}

main();
