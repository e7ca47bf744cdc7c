#!/usr/bin/env bash
# Tests charts/stackd with real helm (4.x and 3.17, from the npm packages
# that ship the official binaries) and offline schemas, since no Kubernetes
# API server can run here:
#  - the chart's copies of rules and dashboards equal manifests/;
#  - helm lint --strict and helm template with the default values and every
#    charts/stackd/examples/*.yaml, with both helm versions;
#  - every rendered object is valid against the Kubernetes and
#    prometheus-operator schemas, unknown fields included (validate-objects.cjs);
#  - values.schema.json rejects wrong types and unknown keys with a message
#    naming the key, and the templates reject what the schema cannot express;
#  - the dashboards extracted from the rendered ConfigMaps are byte-identical
#    to manifests/grafana/dashboards, and the rule groups extracted from the
#    rendered PrometheusRule pass promtool check rules and the rule unit tests
#    of tests/prometheus/alerts_test.yml; an overridden threshold moves the
#    alert (a promtool test written here).
# Tools come from scripts/chart-tools.sh (npm, cached outside the
# repository). Needs node, npm, unzip, promtool.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
chart=$repo/charts/stackd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

tools=$("$repo/scripts/chart-tools.sh")
export NODE_PATH=$tools/node_modules
PROMTOOL=${PROMTOOL:-promtool}
checks=$tools/checks-$$
mkdir -p "$checks"
trap 'rm -rf "$work" "$checks"' EXIT

# ---- one source of truth
if "$repo/scripts/sync-chart-files.sh" --check; then ok "chart files equal manifests/"; else bad "chart files are stale"; fi

# ---- the validator itself rejects an unknown field and a wrong type
cat >"$work/bogus.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bogus}
spec: {ports: [{port: 80, targetPrt: 8080}]}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bogus}
spec: {selector: {}, endpoints: [{port: http, interval: 30}]}
YAML
if node "$repo/tests/chart/validate-objects.cjs" "$checks/self" "$work/bogus.yaml" >"$work/self.log" 2>&1; then
  bad "validator accepted an unknown field and a wrong type"; cat "$work/self.log"
elif grep -q targetPrt "$work/self.log" && grep -q 'ServiceMonitor bogus' "$work/self.log"; then
  ok "validator rejects unknown fields and wrong types"
else bad "validator failed for another reason"; cat "$work/self.log"; fi

# The same file names in both directories, each with the same bytes.
same_files() {
  diff <(cd "$1" && ls) <(cd "$2" && ls) || return 1
  local f
  for f in "$1"/*; do cmp "$f" "$2/$(basename "$f")" || return 1; done
}

# ---- lint, render, validate, compare: every helm, every values file
dashboards_src=$repo/manifests/grafana/dashboards
for v in v4 v3; do
  helm=$tools/helm-$v/helm
  hv=$("$helm" version --template '{{.Version}}')
  rendered=()
  for values in default "$chart"/examples/*.yaml; do
    name=$(basename "$values" .yaml)
    args=()
    [ "$values" = default ] || args=(-f "$values")
    out=$work/$v-$name
    mkdir -p "$out"
    if "$helm" lint --strict "$chart" "${args[@]}" >"$out/lint.log" 2>&1; then ok "helm $hv lint --strict ($name)"
    else bad "helm $hv lint --strict ($name)"; cat "$out/lint.log"; continue; fi
    if ! "$helm" template stackd "$chart" --namespace monitoring "${args[@]}" >"$out/rendered.yaml" 2>"$out/template.log"; then
      bad "helm $hv template ($name)"; cat "$out/template.log"; continue
    fi
    ok "helm $hv template ($name)"
    rendered+=("$out/rendered.yaml")
    node "$repo/tests/chart/extract.cjs" "$out/rendered.yaml" "$out/x" >/dev/null
    # Dashboards: when rendered, exactly the source files, byte for byte.
    if [ -d "$out/x/dashboards" ]; then
      if same_files "$dashboards_src" "$out/x/dashboards"; then
        ok "dashboards byte-identical to manifests/ ($name, helm $hv)"
      else bad "dashboards differ from manifests/ ($name, helm $hv)"; fi
    fi
    # Rules: promtool checks what the PrometheusRule holds.
    if [ -f "$out/x/rules.yml" ]; then
      if "$PROMTOOL" check rules "$out/x/rules.yml" >"$out/promtool.log" 2>&1; then ok "promtool check rules ($name, helm $hv)"
      else bad "promtool check rules ($name, helm $hv)"; cat "$out/promtool.log"; fi
    fi
    # custom-labels.yaml leaves out the host group.
    if [ "$name" = custom-labels ]; then
      if grep -q 'alert: OllamaDown' "$out/x/rules.yml" && ! grep -q 'alert: Host' "$out/x/rules.yml"; then
        ok "prometheusRule.excludeGroups leaves out the host group (helm $hv)"
      else bad "prometheusRule.excludeGroups=[host] (helm $hv)"; fi
    fi
  done
  # One compiler run for all renderings of this helm (tsc dominates the time).
  if node "$repo/tests/chart/validate-objects.cjs" "$checks/$v" "${rendered[@]}" >"$work/validate-$v.log" 2>&1; then
    ok "schemas of ${#rendered[@]} renderings (helm $hv): $(tail -1 "$work/validate-$v.log")"
  else bad "schemas (helm $hv)"; cat "$work/validate-$v.log"; fi
done

# ---- the default rendering carries the unchanged alerts: the rule unit tests
# of the Docker stack pass on the rule groups extracted from the PrometheusRule.
# Their runbook_url is the stackd daemon's /runbooks, the base stackd's loader
# gives spec.alerts.runbookUrl; the chart has no daemon and keeps the file's
# own default, docs/runbooks.md, so the expected links are rebased onto it.
x=$work/v4-default/x
sed -e 's#^  - alerts\.yml$#  - rules.yml#' -e 's#http://127\.0\.0\.1:9321/runbooks\##docs/runbooks.md\##' \
  "$repo/tests/prometheus/alerts_test.yml" >"$x/alerts_test.yml"
if grep -q '9321/runbooks' "$x/alerts_test.yml"; then bad "alerts_test.yml has a runbook_url the chart test does not rebase"; fi
if ! grep -q '^  - rules.yml$' "$x/alerts_test.yml"; then bad "alerts_test.yml no longer names alerts.yml as its rule file"
elif (cd "$x" && "$PROMTOOL" test rules alerts_test.yml) >"$work/unit.log" 2>&1; then ok "promtool test rules on the rendered PrometheusRule"
else bad "promtool test rules on the rendered PrometheusRule"; cat "$work/unit.log"; fi
# ...and so do the GPU recording rules' and alerts' (gpu_rules_test.yml).
sed -e 's#^  - gpu\.yml$#  - rules.yml#' -e 's#http://127\.0\.0\.1:9321/runbooks\##docs/runbooks.md\##' \
  "$repo/tests/prometheus/gpu_rules_test.yml" >"$x/gpu_rules_test.yml"
if ! grep -q '^  - rules.yml$' "$x/gpu_rules_test.yml"; then bad "gpu_rules_test.yml no longer names gpu.yml as its rule file"
elif (cd "$x" && "$PROMTOOL" test rules gpu_rules_test.yml) >"$work/gpu-unit.log" 2>&1; then ok "promtool test rules of the GPU rules on the rendered PrometheusRule"
else bad "promtool test rules of the GPU rules on the rendered PrometheusRule"; cat "$work/gpu-unit.log"; fi

# ...and they are the source's groups with every placeholder at its default,
# field for field (the chart's default values are the file's defaults).
for rules in alerts gpu; do
  sed -E 's/\$\{alerts\.[A-Za-z.]+:-([^}]*)\}/\1/g' "$repo/manifests/prometheus/$rules.yml" >"$work/$rules-defaults.yml"
  if grep -q '\${alerts\.' "$work/$rules-defaults.yml"; then bad "a placeholder of $rules.yml has no default"; fi
done
if node -e '
  const YAML = require("yaml"), fs = require("fs"), assert = require("assert");
  const parse = (f) => YAML.parse(fs.readFileSync(f, "utf8")).groups;
  assert.deepStrictEqual(parse(process.argv[1]), parse(process.argv[2]).concat(parse(process.argv[3])));
' "$x/rules.yml" "$work/alerts-defaults.yml" "$work/gpu-defaults.yml" >"$work/groups.log" 2>&1; then
  ok "PrometheusRule groups equal manifests/prometheus/alerts.yml and gpu.yml"
else bad "PrometheusRule groups differ from manifests/prometheus/alerts.yml and gpu.yml"; head -40 "$work/groups.log"; fi

# ---- a threshold from values moves the alert: queue depth 5 fires at 6 with
# threshold 4, and stays quiet with the shipped threshold.
helm=$tools/helm-v4/helm
cat >"$work/queue_test.yml" <<'YAML'
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'ollama_queue_depth{instance="a"}', values: '5x20'}
    alert_rule_test:
      - alertname: OllamaQueueBacklog
        eval_time: 15m
        exp_alerts:
          - exp_labels: {severity: warning, instance: a}
            exp_annotations:
              summary: Requests are queueing in front of Ollama
              description: 5 requests have been waiting for a free Ollama slot for 10m. Raise OLLAMA_NUM_PARALLEL, add capacity, or shed load.
              runbook_url: docs/runbooks.md#ollamaqueuebacklog
YAML
for t in 4 6; do
  mkdir -p "$work/t$t"
  "$helm" template stackd "$chart" --set alerts.ollamaQueueBacklog.threshold=$t --set alerts.ollamaQueueBacklog.for=10m >"$work/t$t/r.yaml"
  node "$repo/tests/chart/extract.cjs" "$work/t$t/r.yaml" "$work/t$t" >/dev/null
  cp "$work/queue_test.yml" "$work/t$t/"
  (cd "$work/t$t" && "$PROMTOOL" test rules queue_test.yml) >"$work/t$t/log" 2>&1 && echo pass >"$work/t$t/result" || echo fail >"$work/t$t/result"
done
if [ "$(cat "$work/t4/result")" = pass ] && [ "$(cat "$work/t6/result")" = fail ]; then ok "alerts.ollamaQueueBacklog.threshold changes when the alert fires"
else bad "threshold override: threshold 4 $(cat "$work/t4/result"), threshold 6 $(cat "$work/t6/result") (want pass, fail)"; cat "$work/t4/log"; fi

# ---- values fill every placeholder of the alert: the response-time threshold
# reaches the expression and the summary, runbookUrl every runbook_url.
mkdir -p "$work/fill"
"$helm" template stackd "$chart" --set alerts.ollamaHighResponseTime.threshold=12 \
  --set prometheusRule.runbookUrl=https://runbooks.example.org/ollama.md >"$work/fill/r.yaml"
node "$repo/tests/chart/extract.cjs" "$work/fill/r.yaml" "$work/fill" >/dev/null
if grep -q ') > 12$' "$work/fill/rules.yml" && grep -q 'above 12s for model' "$work/fill/rules.yml" &&
   grep -q 'runbook_url: https://runbooks.example.org/ollama.md#ollamadown' "$work/fill/rules.yml" &&
   ! grep -q 'docs/runbooks.md' "$work/fill/rules.yml" && ! grep -q '\${alerts' "$work/fill/rules.yml"; then
  ok "alerts values and prometheusRule.runbookUrl fill the placeholders"
else bad "placeholders not filled as given"; grep -n 'OllamaHighResponseTime' -A12 "$work/fill/rules.yml" | head -20; fi

# ---- the GPU alerts take thresholds from values too, and serviceMonitor.host
# gives the exporter's series the host label the GPU rules join on.
mkdir -p "$work/gpu"
"$helm" template stackd "$chart" --set alerts.gpuHot.threshold=80 --set alerts.gpuMemoryNearlyFull.for=30m \
  --set serviceMonitor.host=gpu-node-1 >"$work/gpu/r.yaml"
node "$repo/tests/chart/extract.cjs" "$work/gpu/r.yaml" "$work/gpu" >/dev/null
if grep -q 'expr: gpu:temperature:celsius > 80$' "$work/gpu/rules.yml" && grep -q 'above 80°C' "$work/gpu/rules.yml" &&
   grep -A1 'gpu:memory_total:bytes > 0.95$' "$work/gpu/rules.yml" | grep -q 'for: 30m' &&
   grep -A1 'targetLabel: host' "$work/gpu/r.yaml" | grep -q 'replacement: "gpu-node-1"'; then
  ok "GPU alert thresholds from values; serviceMonitor.host relabels the exporter's series"
else bad "GPU alert values or serviceMonitor.host"; grep -n 'GpuHot' -A3 "$work/gpu/rules.yml" | head; grep -n 'relabel' -A3 "$work/gpu/r.yaml"; fi

# ---- bad values fail with a message naming the key, for both helms. The
# schema's checks fail lint and install; the templates' own checks (fail)
# fail install and template (helm lint reports template `fail`s only as info).
expect_failure() {  # lint|template, description, expected message (grep -E), helm args...
  local verb=$1 what=$2 want=$3; shift 3
  local cmd=(lint --strict "$chart")
  [ "$verb" = template ] && cmd=(template stackd "$chart")
  for v in v4 v3; do
    if "$tools/helm-$v/helm" "${cmd[@]}" "$@" >"$work/neg.log" 2>&1; then bad "helm-$v $verb accepted $what"
    elif grep -Eq "$want" "$work/neg.log"; then ok "helm-$v $verb rejects $what"
    else bad "helm-$v $verb rejects $what without saying /$want/"; cat "$work/neg.log"; fi
  done
}
for verb in lint template; do
  expect_failure $verb "a string for exporter.port" 'exporter[./]port' --set exporter.port=abc
  expect_failure $verb "an unknown key exporter.replica" "replica" --set exporter.replica=2
  expect_failure $verb "an unknown top-level key" "grafanaSink" --set grafanaSink.enabled=true
  expect_failure $verb "a wrong duration" 'serviceMonitor[./]interval' --set serviceMonitor.interval=often
done
expect_failure template "API-only mode without a Secret" "grafanaSync.existingSecret is required" --set grafanaSync.enabled=true
expect_failure template "an alert that does not exist" "alerts.ollamaSlow: no shipped alert" --set alerts.ollamaSlow.for=1m
expect_failure template "a threshold on an alert without one" "alerts.hostDiskPressure.threshold" --set alerts.hostDiskPressure.threshold=5
expect_failure template "a threshold on OllamaDown (it has only for)" "alerts.ollamaDown.threshold" --set alerts.ollamaDown.threshold=1
expect_failure lint "a relative runbookUrl" 'prometheusRule[./]runbookUrl' --set prometheusRule.runbookUrl=runbooks.md
expect_failure lint "an https Grafana URL (no TLS client)" "grafanaSync[./]grafanaUrl" --set grafanaSync.grafanaUrl=https://grafana.example.org
expect_failure template "an empty ollama.url" "ollama.url is required" --set ollama.url=

echo "chart: $passed passed, $failed failed"
[ "$failed" = 0 ]
