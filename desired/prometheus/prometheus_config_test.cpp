#include "desired/prometheus/prometheus_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace stackd::prometheus {
namespace {

ConfigInput sample() {
  ConfigInput in;
  in.scrape_interval = std::chrono::seconds(15);
  in.evaluation_interval = std::chrono::seconds(30);
  in.targets = {{"prometheus", "127.0.0.1:9090"},
                {"node-exporter", "127.0.0.1:9100"},
                {"ollama", "127.0.0.1:11435"},
                {"stackd", "127.0.0.1:9700", "/metrics"}};
  in.rule_files = {{"alerts.yml", "groups: []\n"}, {"extra.yml", "groups: []\n"}};
  return in;
}

const TarFile* find(const std::vector<TarFile>& files, const std::string& path) {
  for (const auto& f : files)
    if (f.path == path) return &f;
  return nullptr;
}

TEST(PrometheusConfig, RendersConfigAndRulesAsMembersRelativeToRoot) {
  auto files = render_files(sample());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "etc/prometheus/stackd/prometheus.yml");
  ASSERT_NE(find(files, "etc/prometheus/stackd/rules/alerts.yml"), nullptr);
  EXPECT_EQ(find(files, "etc/prometheus/stackd/rules/extra.yml")->content, "groups: []\n");
}

TEST(PrometheusConfig, PrometheusYmlHasIntervalsRelativeRuleFilesAndJobs) {
  YAML::Node y = YAML::Load(render_prometheus_yml(sample()));
  EXPECT_EQ(y["global"]["scrape_interval"].as<std::string>(), "15s");
  EXPECT_EQ(y["global"]["evaluation_interval"].as<std::string>(), "30s");
  // Relative to the config file's directory, so a staged copy validates itself.
  ASSERT_EQ(y["rule_files"].size(), 2u);
  EXPECT_EQ(y["rule_files"][0].as<std::string>(), "rules/alerts.yml");
  ASSERT_EQ(y["scrape_configs"].size(), 4u);
  EXPECT_EQ(y["scrape_configs"][0]["job_name"].as<std::string>(), "prometheus");
  EXPECT_EQ(y["scrape_configs"][0]["metrics_path"].as<std::string>(), "/metrics");
  EXPECT_EQ(y["scrape_configs"][1]["static_configs"][0]["targets"][0].as<std::string>(), "127.0.0.1:9100");
}

TEST(PrometheusConfig, DeterministicByteForByte) {
  EXPECT_EQ(make_tar(render_files(sample())), make_tar(render_files(sample())));
}

TEST(PrometheusConfig, TargetsOfOneJobShareAScrapeConfig) {
  ConfigInput in;
  in.targets = {{"node", "127.0.0.1:9100"}, {"node", "127.0.0.2:9100"}, {"node", "127.0.0.1:9100"}};
  YAML::Node y = YAML::Load(render_prometheus_yml(in));
  ASSERT_EQ(y["scrape_configs"].size(), 1u);
  EXPECT_EQ(y["scrape_configs"][0]["static_configs"][0]["targets"].size(), 2u);
}

TEST(PrometheusConfig, SameJobWithDifferentPathsIsAnError) {
  ConfigInput in;
  in.targets = {{"x", "a:1", "/metrics"}, {"x", "b:1", "/other"}};
  EXPECT_THROW(render_prometheus_yml(in), std::invalid_argument);
}

TEST(PrometheusConfig, AppendsExtraScrapeConfigsKeepingScalarTypes) {
  ConfigInput in = sample();
  in.extra_scrape_configs_yaml =
      "# user jobs\n"
      "- job_name: blackbox\n"
      "  scrape_timeout: 5s\n"
      "  params: {module: [\"http_2xx\"]}\n"
      "  static_configs:\n"
      "    - targets: ['127.0.0.1:9115']\n"
      "      labels: {env: \"true\", port_str: \"9090\"}\n"
      "  dns_sd_configs:\n"
      "    - names: [example.internal]\n"
      "      type: A\n"
      "      port: 9115\n";
  const std::string text = render_prometheus_yml(in);
  YAML::Node y = YAML::Load(text);
  ASSERT_EQ(y["scrape_configs"].size(), 5u);
  YAML::Node job = y["scrape_configs"][4];
  EXPECT_EQ(job["job_name"].as<std::string>(), "blackbox");
  EXPECT_EQ(job["static_configs"][0]["targets"][0].as<std::string>(), "127.0.0.1:9115");
  // Quoted in the source: still quoted (a string to Prometheus).
  EXPECT_EQ(job["static_configs"][0]["labels"]["env"].Tag(), "!");
  EXPECT_EQ(job["static_configs"][0]["labels"]["port_str"].Tag(), "!");
  // Plain in the source: still plain (an int to Prometheus).
  EXPECT_EQ(job["dns_sd_configs"][0]["port"].Tag(), "?");
  EXPECT_EQ(job["dns_sd_configs"][0]["port"].as<int>(), 9115);
}

TEST(PrometheusConfig, EmptyExtraScrapeConfigsAreFine) {
  ConfigInput in = sample();
  in.extra_scrape_configs_yaml = "# nothing yet\n";
  EXPECT_EQ(YAML::Load(render_prometheus_yml(in))["scrape_configs"].size(), 4u);
  in.extra_scrape_configs_yaml = "[]\n";
  EXPECT_EQ(YAML::Load(render_prometheus_yml(in))["scrape_configs"].size(), 4u);
}

void expect_invalid(const std::string& extra, const std::string& needle) {
  ConfigInput in = sample();
  in.extra_scrape_configs_yaml = extra;
  try {
    render_files(in);
    ADD_FAILURE() << "accepted: " << extra;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(PrometheusConfig, RejectsExtraScrapeConfigsThatAreNotASequenceOfMappings) {
  expect_invalid("scrape_configs:\n  - job_name: x\n", "not the key");
  expect_invalid("job_name: x\n", "must be a YAML sequence");
  expect_invalid("- just a string\n", "must be a mapping");
  expect_invalid("- static_configs: []\n", "job_name is missing");
  expect_invalid("- job_name: [\n", "not valid YAML");
}

TEST(PrometheusConfig, RejectsJobNamesStackdGeneratesOrDuplicates) {
  expect_invalid("- job_name: node-exporter\n", "generated by stackd");
  expect_invalid("- job_name: a\n- job_name: a\n", "used twice");
}

TEST(PrometheusConfig, RejectsRuleFileNamesWithDirectoriesOrDuplicates) {
  ConfigInput in = sample();
  in.rule_files = {{"../evil.yml", ""}};
  EXPECT_THROW(render_files(in), std::invalid_argument);
  in.rule_files = {{"a/b.yml", ""}};
  EXPECT_THROW(render_files(in), std::invalid_argument);
  in.rule_files = {{"a.yml", ""}, {"a.yml", ""}};
  EXPECT_THROW(render_files(in), std::invalid_argument);
}

TEST(PrometheusConfig, BoundsInputs) {
  ConfigInput in = sample();
  in.extra_scrape_configs_yaml = std::string(kMaxExtraScrapeConfigsBytes + 1, '#');
  EXPECT_THROW(render_files(in), std::invalid_argument);
  in = sample();
  in.rule_files = {{"big.yml", std::string(kMaxRuleFileBytes + 1, ' ')}};
  EXPECT_THROW(render_files(in), std::invalid_argument);
}

TEST(PrometheusConfig, Durations) {
  EXPECT_EQ(prometheus_duration(std::chrono::seconds(15)), "15s");
  EXPECT_EQ(prometheus_duration(std::chrono::seconds(120)), "2m");
  EXPECT_EQ(prometheus_duration(std::chrono::seconds(7200)), "2h");
  EXPECT_EQ(prometheus_duration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(prometheus_duration(std::chrono::hours(24 * 15)), "15d");
  EXPECT_THROW(prometheus_duration(std::chrono::seconds(0)), std::invalid_argument);
}

}  // namespace
}  // namespace stackd::prometheus
