#include "desired/grafana/datasource_placeholders.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace stackd::grafana;

TEST(DatasourcePlaceholders, ResolvesGrafanaComInputs) {
  // Shape of grafana.com "Node Exporter Full" (1860) exports.
  json model = json::parse(R"({
    "__inputs":[{"name":"DS_PROM","label":"Prometheus","type":"datasource","pluginId":"prometheus"},
                {"name":"VAR_JOB","type":"constant","value":"node"}],
    "__requires":[{"type":"datasource","id":"prometheus"}],
    "uid":"rYdddlPWk",
    "panels":[{"datasource":{"type":"prometheus","uid":"${DS_PROM}"},
               "targets":[{"expr":"up{job=\"${VAR_JOB}\"}"}]}],
    "templating":{"list":[{"name":"ds","type":"datasource","query":"prometheus"},
                          {"name":"job","datasource":{"uid":"${ds}"}}]}})");
  json out = resolve_datasource_inputs(model, "prometheus", {});
  EXPECT_FALSE(out.contains("__inputs"));
  EXPECT_TRUE(out.contains("__requires"));
  EXPECT_EQ(out["panels"][0]["datasource"]["uid"], "prometheus");
  EXPECT_EQ(out["panels"][0]["targets"][0]["expr"], "up{job=\"node\"}");
  // Dashboard variables are Grafana's to resolve at view time.
  EXPECT_EQ(out["templating"]["list"][1]["datasource"]["uid"], "${ds}");
}

TEST(DatasourcePlaceholders, UndeclaredDsPrometheusAndOtherPlugins) {
  json model = json::parse(R"({"a":"${DS_PROMETHEUS}","b":"x${DS_PROMETHEUS}y${DS_PROMETHEUS}",
    "__inputs":[{"name":"DS_LOKI","type":"datasource","pluginId":"loki"}],"c":"${DS_LOKI}"})");
  json out = resolve_datasource_inputs(model, "prom-uid", {{"logs", "loki"}});
  EXPECT_EQ(out["a"], "prom-uid");
  EXPECT_EQ(out["b"], "xprom-uidyprom-uid");
  EXPECT_EQ(out["c"], "logs");
  EXPECT_THROW(resolve_datasource_inputs(model, "prom-uid", {}), std::invalid_argument);
}
