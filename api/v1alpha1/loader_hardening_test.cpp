// Hostile input to the loader: values that try to change the document's
// structure, values that overflow bounds, and every field taking a 1 MB
// string. Each must be an error with file:line:col (or, for interpolated
// values, land verbatim in one scalar), never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/v1alpha1/loader.hpp"

using namespace stackd::manifest;
namespace fs = std::filesystem;

namespace {

struct Dir {
  fs::path path = fs::temp_directory_path() / ("stackd-hardening-" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& content) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << content;
  }
};

LoadOptions env_with(std::map<std::string, std::string> vars) {
  LoadOptions o;
  o.env = [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

const char* kHead = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: host\n";

std::string errors_of(const std::string& text, const LoadOptions& o = env_with({})) {
  Dir d;
  try {
    load_from_string(text, (d.path / "stack.yaml").string(), o);
    return "";
  } catch (const ManifestError& e) {
    return e.what();
  }
}

}  // namespace

TEST(LoaderHardening, NoVariableValueCanAddAKey) {
  const std::vector<std::string> hostile = {
      "x\nlisten: 0.0.0.0",        "x\n    listen: 0.0.0.0", "a: b",      "{listen: 0.0.0.0}", "x}, listen: 0.0.0.0, y: {",
      "# comment",                 "\"quoted\"",             "'single'",  "x\" , \"listen\": \"0.0.0.0", "- item",
      "[1, 2]",                    "&anchor x",              "*alias",    "!!str x",            "|\n  block",
      "x\n---\nkind: Other",       "${OTHER}",               "$$",        "x\r\nlisten: 0.0.0.0", "...",
  };
  for (const auto& v : hostile) {
    // The value goes into args (block and flow), an env value and a label.
    std::string text = std::string(kHead) +
                       "  nodeExporter:\n"
                       "    args: [\"--a=${V}\", ${V}]\n"
                       "    env: {E: ${V}}\n"
                       "    labels:\n"
                       "      l: ${V}\n";
    Dir d;
    Manifest m;
    try {
      m = load_from_string(text, (d.path / "stack.yaml").string(), env_with({{"V", v}, {"OTHER", "other"}}));
    } catch (const ManifestError& e) {
      ADD_FAILURE() << "value " << v << " was rejected: " << e.what();
      continue;
    }
    EXPECT_EQ(m.node_exporter.listen, "127.0.0.1") << v;
    ASSERT_EQ(m.node_exporter.args.size(), 2u) << v;
    EXPECT_EQ(m.node_exporter.args[0], "--a=" + v);
    EXPECT_EQ(m.node_exporter.args[1], v);
    EXPECT_EQ(m.node_exporter.env.size(), 1u) << v;
    EXPECT_EQ(m.node_exporter.env.at("E"), v);
    EXPECT_EQ(m.node_exporter.labels.size(), 1u) << v;
    EXPECT_EQ(m.node_exporter.labels.at("l"), v);
    EXPECT_EQ(m.kind, "MonitoringStack");
  }
}

TEST(LoaderHardening, VariablesInKeysAndCommentsAndTypedFields) {
  auto e = errors_of(std::string(kHead) + "  nodeExporter:\n    ${K}: 1\n", env_with({{"K", "port"}}));
  EXPECT_NE(e.find(":7:5: ${...} cannot be used in a key"), std::string::npos) << e;
  // An unset variable in a comment is not an error: comments are not interpolated.
  EXPECT_EQ(errors_of(std::string(kHead) + "  # ${UNSET}\n  nodeExporter: {port: 9100}\n"), "");
  // A variable may still give a typed value, as before.
  Dir d;
  auto m = load_from_string(std::string(kHead) + "  nodeExporter: {port: ${P}}\n", (d.path / "s.yaml").string(),
                            env_with({{"P", "9200"}}));
  EXPECT_EQ(m.node_exporter.port, 9200);
  e = errors_of(std::string(kHead) + "  nodeExporter: {port: ${P}}\n", env_with({{"P", "9200\nlisten: 0.0.0.0"}}));
  EXPECT_NE(e.find(":6:24: spec.nodeExporter.port must be an integer"), std::string::npos) << e;
}

TEST(LoaderHardening, AMegabyteInAnyFieldIsAnErrorNotACrash) {
  const std::string big(1024 * 1024, 'a');
  const std::vector<std::string> fields = {
      "  nodeExporter: {image: " + big + "}\n",
      "  nodeExporter: {volumes: [\"" + big + ":/x\"]}\n",
      "  nodeExporter: {listen: \"" + big + "\"}\n",
      "  nodeExporter: {env: {" + big + ": x}}\n",
      "  nodeExporter: {restart: " + big + "}\n",
      "  nodeExporter: {memoryLimit: " + big + "}\n",
      "  nodeExporter: {healthcheck: {test: x, interval: " + big + "}}\n",
      "  nodeExporter: {labels: {" + big + ": x}}\n",
      "  nodeExporter: {port: " + std::string(100000, '9') + "}\n",
      "  ollama: {url: \"http://" + big + "\"}\n",
      "  stackd: {listen: " + big + "}\n",
      "  network: " + big + "\n",
      "  prometheus: {rules: [" + big + "]}\n",
      "  grafana: {dashboards: [{path: " + big + "}]}\n",
      "  grafana: {datasources: [{name: a, type: prometheus, uid: a, url: \"http://" + big + "\"}]}\n",
      "  " + big + ": 1\n",
  };
  for (const auto& f : fields) {
    auto e = errors_of(std::string(kHead) + f);
    EXPECT_NE(e.find("stack.yaml:"), std::string::npos) << e.substr(0, 300);
    EXPECT_LT(e.size(), 4096u) << "the message repeats the value: " << e.substr(0, 300);
  }
  // Through a variable too.
  auto e = errors_of(std::string(kHead) + "  nodeExporter: {image: \"${BIG}\"}\n", env_with({{"BIG", big}}));
  EXPECT_NE(e.find(":6:25: value after ${...} interpolation is 1048576 bytes"), std::string::npos) << e.substr(0, 300);
}

TEST(LoaderHardening, DuplicateKeysSecondDocumentsAndTags) {
  auto e = errors_of(std::string(kHead) + "  nodeExporter: {port: 9100}\n  nodeExporter: {port: 9200}\n");
  EXPECT_NE(e.find(":7:3: duplicate key 'nodeExporter'"), std::string::npos) << e;
  e = errors_of(std::string(kHead) + "  nodeExporter: {port: 9100}\n---\nspec: {}\n");
  EXPECT_NE(e.find("second YAML document"), std::string::npos) << e;
  e = errors_of(std::string(kHead) + "  nodeExporter: {port: !!str 9100}\n");
  EXPECT_NE(e.find(":6:24: spec.nodeExporter.port must be an integer"), std::string::npos) << e;
  e = errors_of(std::string(kHead) + "  nodeExporter: {enabled: !yes true}\n");
  EXPECT_NE(e.find(":6:27: unsupported YAML tag '!yes'"), std::string::npos) << e;
  e = errors_of(std::string(kHead) + "  nodeExporter: {image: \"prom/x\\0y\"}\n");
  EXPECT_NE(e.find(":6:25: value contains a NUL character"), std::string::npos) << e;
}

TEST(LoaderHardening, OutOfRangeValues) {
  auto with = [](const std::string& prometheus_fields) {
    return std::string(kHead) + "  prometheus: {" + prometheus_fields + "}\n";
  };
  EXPECT_NE(errors_of(with("retention: 80722053595y")).find("spec.prometheus.retention: invalid duration"), std::string::npos);
  EXPECT_NE(errors_of(with("retention: 101y")).find("out of range (at most 100y)"), std::string::npos);
  EXPECT_EQ(errors_of(with("retention: 100y")), "");
  EXPECT_NE(errors_of(with("scrapeInterval: 2d")).find("at most 24h"), std::string::npos);
  EXPECT_NE(errors_of(with("retentionSize: 99999999999999999999GB")).find("invalid size"), std::string::npos);
  EXPECT_NE(errors_of(with("memoryLimit: 1.2.3GB")).find(":6:29: spec.prometheus.memoryLimit: invalid size '1.2.3GB'"),
            std::string::npos);
  EXPECT_NE(errors_of(with("listen: 999.1.1.1")).find(":6:24: spec.prometheus.listen: '999.1.1.1' is not an IP address"),
            std::string::npos);
  EXPECT_EQ(errors_of(with("listen: \"::1\"")), "");
  auto e = errors_of(std::string(kHead) + "  nodeExporter: {}\n  stackd: {listen: 999.1.1.1}\n");
  EXPECT_NE(e.find(":7:20: spec.stackd.listen: '999.1.1.1' is not an IP address"), std::string::npos) << e;
}

TEST(LoaderHardening, DatasourceUrlsAreHttpOnly) {
  std::string text = std::string(kHead) +
                     "  grafana:\n"
                     "    admin: {passwordEnv: PW}\n"
                     "    datasources:\n"
                     "      - {name: a, type: prometheus, uid: a, url: \"javascript:alert(1)\"}\n"
                     "      - {name: b, type: prometheus, uid: b, url: \"file:///etc/passwd\"}\n"
                     "      - {name: c, type: prometheus, uid: c, url: \"https://prom.example:9090\"}\n";
  auto e = errors_of(text, env_with({{"PW", "x"}}));
  EXPECT_NE(e.find(":9:50: spec.grafana.datasources[].url must start with http:// or https://"), std::string::npos) << e;
  EXPECT_NE(e.find(":10:50: spec.grafana.datasources[].url must start with"), std::string::npos) << e;
  EXPECT_EQ(e.find(":11:"), std::string::npos) << e;
}

TEST(LoaderHardening, DashboardsAreValidatedAtLoad) {
  Dir d;
  d.write("dash/a.json", R"({"uid":"same","title":"A"})");
  d.write("dash/b.json", R"({"uid":"same","title":"B"})");
  d.write("dash/c.json", "{\"uid\": \"c\",\n \"title\": }");
  d.write("dash/d.json", R"({"title":"no uid"})");
  d.write("dash/e.json", "{\"uid\":\"e\",\"title\":\"E\",\"x\":" + std::string(70000, '[') + std::string(70000, ']') + "}");
  std::string text = std::string(kHead) +
                     "  grafana:\n"
                     "    admin: {passwordEnv: PW}\n"
                     "    dashboards: [{path: \"dash/*.json\"}]\n";
  std::string e;
  try {
    load_from_string(text, (d.path / "stack.yaml").string(), env_with({{"PW", "x"}}));
  } catch (const ManifestError& err) {
    e = err.what();
  }
  // Each named relative to the manifest, as it names them.
  EXPECT_EQ(e.rfind("dash/b.json:1:1: dashboard uid \"same\" is already used by dash/a.json", 0), 0u) << e;
  EXPECT_NE(e.find("\ndash/c.json:2:11: expected a JSON value"), std::string::npos) << e;
  EXPECT_NE(e.find("\ndash/d.json:1:1: dashboard has no \"uid\""), std::string::npos) << e;
  EXPECT_NE(e.find("\ndash/e.json:1:91: JSON nested deeper than 64 levels"), std::string::npos) << e;
}

TEST(LoaderHardening, GlobsDoNotFollowSymlinksOutOfTheManifestDirectory) {
  Dir d;
  auto outside = fs::temp_directory_path() / ("stackd-outside-dash-" + std::to_string(::getpid()) + ".json");
  std::ofstream(outside) << R"({"uid":"o","title":"O"})";
  d.write("dash/in.json", R"({"uid":"i","title":"I"})");
  fs::create_symlink(outside, d.path / "dash" / "out.json");
  std::string text = std::string(kHead) + "  grafana:\n    admin: {passwordEnv: PW}\n    dashboards: [{path: \"dash/*.json\"}]\n";
  std::string e;
  try {
    load_from_string(text, (d.path / "stack.yaml").string(), env_with({{"PW", "x"}}));
  } catch (const ManifestError& err) {
    e = err.what();
  }
  fs::remove(outside);
  EXPECT_NE(e.find(":8:25: spec.grafana.dashboards: 'dash/out.json' is outside the manifest's directory"), std::string::npos)
      << e;
}

TEST(LoaderHardening, DeepRuleFilesAndScrapeConfigs) {
  Dir d;
  d.write("rules.yml", std::string(100000, '['));
  d.write("scrape.yml", "- a: &x 1\n- b: *x\n- c: 1\n  c: 2\n");
  std::string text = std::string(kHead) + "  prometheus:\n    rules: [rules.yml]\n    extraScrapeConfigs: scrape.yml\n";
  std::string e;
  try {
    load_from_string(text, (d.path / "stack.yaml").string(), env_with({}));
  } catch (const ManifestError& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("rules.yml:1:"), std::string::npos) << e;
  EXPECT_NE(e.find("scrape.yml:4:3: duplicate key 'c'"), std::string::npos) << e;
}
