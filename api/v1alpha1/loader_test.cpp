#include "api/v1alpha1/loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace stackd::manifest;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("stackd-manifest-" + std::to_string(::getpid()) + "-" + std::to_string(n_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& rel, const std::string& content) const {
    auto p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

LoadOptions no_env() {
  LoadOptions o;
  o.env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "GRAFANA_ADMIN_PASSWORD") return "from-env";
    return std::nullopt;
  };
  return o;
}

// The docs/manifest.md example, verbatim: it must stay valid.
const char* kDesignExample = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: frontier-llm
spec:
  network: frontier-monitoring          # a user-defined bridge network stackd owns; "host" = host networking
  prometheus:
    image: prom/prometheus:v2.53.2
    port: 9090
    retention: 15d                      # and/or retentionSize: 20GB (disk is the usual limit)
    scrapeInterval: 15s
    rules:                              # paths relative to this file; globs allowed
      - prometheus/alerts.yml
    extraScrapeConfigs: prometheus/scrape-extra.yml   # optional, raw Prometheus scrape_configs
  grafana:
    image: grafana/grafana:11.3.0
    port: 3000
    admin:
      user: admin
      passwordFile: secrets/grafana-admin-password    # or passwordEnv: GRAFANA_ADMIN_PASSWORD
    dashboards:
      - path: grafana/dashboards/*.json
        folder: Frontier LLM
  nodeExporter:
    image: prom/node-exporter:v1.8.2
    port: 9100
  ollama:
    url: http://host.docker.internal:11434           # where Ollama listens
    exporter:
      port: 11435                                    # clients talk to Ollama through here
)";

void write_referenced(const TempDir& d) {
  d.write("prometheus/alerts.yml", "groups: []\n");
  d.write("prometheus/scrape-extra.yml", "[]\n");
  d.write("secrets/grafana-admin-password", "hunter2\n");
  d.write("grafana/dashboards/a.json", R"({"uid":"a","title":"A"})");
  d.write("grafana/dashboards/b.json", R"({"uid":"b","title":"B"})");
}

std::string errors_of(const std::string& text, const TempDir& d) {
  try {
    load_from_string(text, (d.path() / "stack.yaml").string(), no_env());
  } catch (const ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ManifestLoader, DesignExampleIsValid) {
  TempDir d;
  write_referenced(d);
  auto m = load_from_string(kDesignExample, (d.path() / "stack.yaml").string(), no_env());
  EXPECT_EQ(m.name, "frontier-llm");
  EXPECT_EQ(m.network, "frontier-monitoring");
  EXPECT_EQ(m.prometheus.port, 9090);
  EXPECT_EQ(m.prometheus.retention, std::chrono::seconds(15 * 86400));
  ASSERT_EQ(m.prometheus.rules.size(), 1u);
  EXPECT_EQ(m.prometheus.rules[0].relative, "prometheus/alerts.yml");
  ASSERT_TRUE(m.grafana.admin_password_file);
  EXPECT_EQ(m.grafana.admin_password_file->content, "hunter2");
  ASSERT_EQ(m.grafana.dashboards.size(), 1u);
  EXPECT_EQ(m.grafana.dashboards[0].files.size(), 2u);
  EXPECT_EQ(m.grafana.dashboards[0].folder, "Frontier LLM");
  EXPECT_TRUE(m.ollama.exporter.enabled);
  EXPECT_EQ(m.ollama.exporter.port, 11435);
  EXPECT_EQ(m.enabled_components(), 4);
  EXPECT_EQ(m.revision.size(), 64u);
}

TEST(ManifestLoader, RevisionCoversReferencedFiles) {
  TempDir d;
  write_referenced(d);
  auto path = (d.path() / "stack.yaml").string();
  auto before = load_from_string(kDesignExample, path, no_env()).revision;
  EXPECT_EQ(load_from_string(kDesignExample, path, no_env()).revision, before);
  d.write("prometheus/alerts.yml", "groups: [{name: x, rules: []}]\n");
  EXPECT_NE(load_from_string(kDesignExample, path, no_env()).revision, before);
}

TEST(ManifestLoader, ReportsAllProblemsWithPositions) {
  TempDir d;
  write_referenced(d);
  std::string text = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: demo
spec:
  network: host
  prometheus:
    port: "9090"
    retension: 15d
    scrapeInterval: often
    retentionSize: lots
    rules:
      - prometheus/missing.yml
  nodeExporter:
    port: 9100
    cpus: -1
  grafana:
    port: 9100
)";
  auto e = errors_of(text, d);
  auto path = (d.path() / "stack.yaml").string();
  EXPECT_NE(e.find(path + ":8:11: spec.prometheus.port must be an integer"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":9:5: unknown field 'retension' in spec.prometheus (did you mean 'retention'?)"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":10:21: spec.prometheus.scrapeInterval: invalid duration 'often'"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":11:20: spec.prometheus.retentionSize: invalid size 'lots'"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":13:9: spec.prometheus.rules: file 'prometheus/missing.yml' does not exist"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":16:11: spec.nodeExporter.cpus must be a positive number"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":18:11: port 9100 of grafana is already used by nodeExporter"), std::string::npos) << e;
}

TEST(ManifestLoader, UnsetVariableAndBadYaml) {
  TempDir d;
  auto e = errors_of("apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: ${NAME}}\nspec: {}\n", d);
  EXPECT_NE(e.find(":3:18: environment variable NAME is not set"), std::string::npos) << e;
  e = errors_of("apiVersion: [unclosed\n", d);
  EXPECT_NE(e.find("stack.yaml:"), std::string::npos) << e;
  e = errors_of("", d);
  EXPECT_NE(e.find("the manifest is empty"), std::string::npos) << e;
}

TEST(ManifestLoader, EmptyStackRefusedUnlessAllowed) {
  TempDir d;
  std::string base = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: host\n";
  EXPECT_NE(errors_of(base, d).find("enables no component"), std::string::npos);
  EXPECT_EQ(errors_of(base + "  allowEmpty: true\n", d), "");
}

TEST(ManifestLoader, RejectsHostPathVolumesAndReservedLabels) {
  TempDir d;
  std::string text = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {name: demo}
spec:
  nodeExporter:
    volumes: ["/etc:/host/etc:ro"]
    labels: {dev.stackd.stack: other}
)";
  auto e = errors_of(text, d);
  EXPECT_NE(e.find(":6:15: spec.nodeExporter.volumes: '/etc:/host/etc:ro' must be 'volume-name:/container/path[:ro]'"), std::string::npos) << e;
  EXPECT_NE(e.find(":7:13: spec.nodeExporter.labels: 'dev.stackd.stack' is reserved"), std::string::npos) << e;
}

TEST(ManifestLoader, ReferencedFilesStayInsideTheManifestDirectory) {
  TempDir d;
  auto outside = d.write("../stackd-outside-" + std::to_string(::getpid()) + ".yml", "groups: []\n");
  std::string text = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {name: demo}
spec:
  grafana:
    admin: {passwordFile: /etc/hostname}
  prometheus:
    rules: [../stackd-outside-)" + std::to_string(::getpid()) + R"(.yml]
)";
  auto e = errors_of(text, d);
  fs::remove(outside);
  EXPECT_NE(e.find(":6:27: spec.grafana.admin.passwordFile: '/etc/hostname' is outside the manifest's directory"),
            std::string::npos) << e;
  EXPECT_NE(e.find(":8:13: spec.prometheus.rules: '../stackd-outside-"), std::string::npos) << e;
  EXPECT_NE(e.find(".yml' is outside the manifest's directory"), std::string::npos) << e;
}

TEST(ManifestLoader, DefaultStackInRepositoryIsValid) {
  auto m = load(STACKD_SOURCE_DIR "/manifests/stack.yaml", no_env());
  EXPECT_GE(m.enabled_components(), 3);
  EXPECT_FALSE(m.prometheus.rules.empty());
  EXPECT_FALSE(m.grafana.dashboards.empty());
}

// manifests/stack.yaml offers every vendor through ${GPU_VENDOR}: each must
// load, with the NVIDIA exporter's container only where NVIDIA is possible.
TEST(ManifestLoader, DefaultStackLoadsWithEveryAdvertisedGpuVendor) {
  const std::vector<std::pair<std::string, GpuVendor>> vendors = {
      {"auto", GpuVendor::Auto}, {"nvidia", GpuVendor::Nvidia}, {"amd", GpuVendor::Amd}, {"none", GpuVendor::None}};
  for (const auto& [value, vendor] : vendors) {
    LoadOptions o = no_env();
    o.env = [value = value](const std::string& k) -> std::optional<std::string> {
      if (k == "GRAFANA_ADMIN_PASSWORD") return "from-env";
      if (k == "GPU_VENDOR") return value;
      return std::nullopt;
    };
    try {
      auto m = load(STACKD_SOURCE_DIR "/manifests/stack.yaml", o);
      EXPECT_EQ(m.gpu.vendor, vendor) << value;
      EXPECT_TRUE(m.gpu.watch) << value;
      EXPECT_EQ(m.gpu.enabled, vendor == GpuVendor::Auto || vendor == GpuVendor::Nvidia) << value;
    } catch (const ManifestError& e) {
      ADD_FAILURE() << "GPU_VENDOR=" << value << ": " << e.what();
    }
  }
}

// spec.grafana.serviceAccountTokenFile, and the env rules of Grafana's image
// entrypoint (grafana/grafana packaging/docker/run.sh: "Both $VAR_NAME and
// $VAR_NAME_FILE are set (but are exclusive)" then exit 1).
TEST(ManifestLoader, GrafanaServiceAccountTokenFile) {
  TempDir d;
  write_referenced(d);
  d.write("secrets/grafana-token", "glsa_abc\n");
  std::string text = std::string(kDesignExample);
  text.replace(text.find("    dashboards:\n      - path: grafana"), 0, "    serviceAccountTokenFile: secrets/grafana-token\n");
  auto m = load_from_string(text, (d.path() / "stack.yaml").string(), no_env());
  ASSERT_TRUE(m.grafana.service_account_token_file);
  EXPECT_EQ(m.grafana.service_account_token_file->content, "glsa_abc");  // trailing newline dropped
  auto before = m.revision;
  d.write("secrets/grafana-token", "glsa_other\n");
  EXPECT_NE(load_from_string(text, (d.path() / "stack.yaml").string(), no_env()).revision, before);
  d.write("secrets/grafana-token", "\n");
  EXPECT_NE(errors_of(text, d).find("spec.grafana.serviceAccountTokenFile: secrets/grafana-token is empty"),
            std::string::npos);
}

TEST(ManifestLoader, GrafanaEnvMayNotCarryThePasswordNorAVariableNextToItsFile) {
  TempDir d;
  write_referenced(d);
  std::string text = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: demo
spec:
  network: host
  grafana:
    port: 3000
    env:
      GF_SECURITY_ADMIN_PASSWORD: hunter2
      GF_SMTP_PASSWORD: x
      GF_SMTP_PASSWORD__FILE: /run/secrets/smtp
      GF_AUTH_BASIC_ENABLED: "false"
)";
  auto e = errors_of(text, d);
  auto path = (d.path() / "stack.yaml").string();
  EXPECT_NE(e.find(path + ":10:7: spec.grafana.env: GF_SECURITY_ADMIN_PASSWORD is not allowed"), std::string::npos) << e;
  EXPECT_NE(e.find(path + ":12:7: spec.grafana.env: GF_SMTP_PASSWORD and GF_SMTP_PASSWORD__FILE are both set"),
            std::string::npos) << e;
  EXPECT_EQ(e.find("GF_AUTH_BASIC_ENABLED"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;  // the value is never echoed
}

// The Helm chart's API-only mode: only spec.grafana, naming a Grafana that
// stackd does not run.
TEST(ManifestLoader, ExternalGrafanaUrl) {
  TempDir d;
  write_referenced(d);
  std::string base = R"(apiVersion: stackd.dev/v1alpha1
kind: MonitoringStack
metadata: {name: demo}
spec:
  grafana:
    url: )";
  const char* rest = R"(
    admin: {user: admin, passwordFile: secrets/grafana-admin-password}
    dashboards: [{path: grafana/dashboards/*.json, folder: Ollama}]
)";
  auto m = load_from_string(base + "http://grafana.monitoring.svc:80/grafana" + rest, (d.path() / "stack.yaml").string(), no_env());
  EXPECT_EQ(m.grafana.url, "http://grafana.monitoring.svc:80/grafana");
  EXPECT_TRUE(m.grafana.enabled);
  EXPECT_FALSE(m.prometheus.enabled);
  EXPECT_EQ(m.grafana.dashboards.at(0).files.size(), 2u);
  auto e = errors_of(base + "https://grafana.example.org" + rest, d);
  EXPECT_NE(e.find(":6:10: spec.grafana.url must be an http:// URL"), std::string::npos) << e;
}

// dataPath: a host directory instead of the named volume, checked where
// stackd can see it: absolute, a directory, writable by the component's user.
TEST(ManifestLoader, DataPathIsAHostDirectoryTheComponentCanWrite) {
  TempDir d;
  const auto ok = d.path() / "prom-data";
  const auto theirs = d.path() / "grafana-data";
  fs::create_directories(ok);
  fs::create_directories(theirs);
  fs::permissions(ok, fs::perms::all);  // anyone may write
  fs::permissions(theirs, fs::perms::owner_all);
  const auto missing = (d.path() / "nope").string();
  auto text = [&](const std::string& prom, const std::string& grafana) {
    return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
           "  prometheus: {dataPath: " + prom + "}\n  grafana: {dataPath: " + grafana + "}\n";
  };
  auto m = load_from_string(text(ok.string(), ok.string()), d.write("stack.yaml", ""), no_env());
  EXPECT_EQ(m.prometheus.data_path, ok.string());
  try {
    load_from_string(text(missing, theirs.string()), d.write("stack.yaml", ""), no_env());
    FAIL() << "loaded";
  } catch (const ManifestError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(":5:26: spec.prometheus.dataPath: '" + missing + "' does not exist: create it for prometheus "
                        "(uid 65534): sudo mkdir -p " + missing + " && sudo chown -R 65534:65534 " + missing),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("spec.grafana.dataPath: '" + theirs.string() + "' is owned by uid " +
                        std::to_string(::getuid()) + " and grafana runs as uid 472"),
              std::string::npos)
        << what;
  }
  EXPECT_THROW(load_from_string(text("relative/dir", ok.string()), d.write("stack.yaml", ""), no_env()), ManifestError);
  EXPECT_THROW(load_from_string("apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\n"
                                "spec:\n  nodeExporter: {dataPath: /tmp}\n",
                                d.write("stack.yaml", ""), no_env()),
               ManifestError)
      << "a component that keeps no data has no dataPath";
}

// Grafana's image runs as uid 472 in group 0 (root): a directory of group 0
// that its group may write is Grafana's to write, and not Prometheus's
// (65534 in group 65534). The group is compared with the component's group,
// not with its user id.
TEST(ManifestLoader, DataPathWritableByTheComponentsGroup) {
  if (::getegid() != 0) GTEST_SKIP() << "needs a directory of group 0, Grafana's group";
  TempDir d;
  const auto shared = d.path() / "group-0-data";
  fs::create_directories(shared);
  fs::permissions(shared, fs::perms::owner_all | fs::perms::group_all);  // 0770, group 0
  ASSERT_EQ(::chown(shared.c_str(), 12345, 0), 0) << "owned by neither component's user";
  const auto open = d.path() / "open-data";
  fs::create_directories(open);
  fs::permissions(open, fs::perms::all);  // anyone may write
  auto text = [&](const fs::path& prom, const fs::path& grafana) {
    return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
           "  prometheus: {dataPath: " + prom.string() + "}\n  grafana: {dataPath: " + grafana.string() + "}\n";
  };
  auto m = load_from_string(text(open, shared), d.write("stack.yaml", ""), no_env());
  EXPECT_EQ(m.grafana.data_path, shared.string());
  try {
    load_from_string(text(shared, open), d.write("stack.yaml", ""), no_env());
    FAIL() << "prometheus (65534:65534) cannot write a 0770 directory of 12345:0";
  } catch (const ManifestError& e) {
    EXPECT_NE(std::string(e.what()).find("prometheus runs as uid 65534, which cannot write there: sudo chown -R "
                                         "65534:65534 " + shared.string()),
              std::string::npos)
        << e.what();
  }
}

TEST(ManifestLoader, StackdSectionTakesEnabled) {
  TempDir d;
  std::string base = "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n"
                     "  network: host\n  nodeExporter: {port: 9100}\n  stackd:\n    port: 29321\n";
  auto m = load_from_string(base + "    enabled: false\n", (d.path() / "stack.yaml").string(), no_env());
  EXPECT_FALSE(m.controller.enabled);
  EXPECT_EQ(m.controller.port, 29321);
  EXPECT_TRUE(load_from_string(base, (d.path() / "stack.yaml").string(), no_env()).controller.enabled);
  EXPECT_NE(errors_of(base + "    enabled: nope\n", d).find(":9:14: spec.stackd.enabled must be"), std::string::npos)
      << errors_of(base + "    enabled: nope\n", d);
}

TEST(ManifestLoader, TheExporterMayNotListenOnOllamasOwnPort) {
  TempDir d;
  auto manifest = [](const std::string& url, const std::string& port) {
    return "apiVersion: stackd.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: demo}\nspec:\n  network: host\n"
           "  ollama:\n    url: " + url + "\n    exporter:\n      port: " + port + "\n";
  };
  auto path = (d.path() / "stack.yaml").string();
  auto e = errors_of(manifest("http://127.0.0.1:11434", "11434"), d);
  EXPECT_NE(e.find(path + ":9:13: spec.ollama.exporter.port 11434 is Ollama's own port (spec.ollama.url "
                          "http://127.0.0.1:11434)"),
            std::string::npos)
      << e;
  EXPECT_NE(errors_of(manifest("http://host.docker.internal:11434", "11434"), d).find("is Ollama's own port"),
            std::string::npos);
  EXPECT_NE(errors_of(manifest("http://localhost", "80"), d).find("is Ollama's own port"), std::string::npos)
      << "the scheme's port when the URL names none";
  EXPECT_EQ(errors_of(manifest("http://127.0.0.1:11434", "11435"), d), "");
  EXPECT_EQ(errors_of(manifest("http://gpu-box-2.lan:11434", "11434"), d), "") << "Ollama on another machine";
}
