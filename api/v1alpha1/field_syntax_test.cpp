#include "api/v1alpha1/field_syntax.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace stackd::manifest;

TEST(FieldSyntax, ImageReferences) {
  EXPECT_TRUE(is_image_reference("prom/prometheus:v2.53.2"));
  EXPECT_TRUE(is_image_reference("127.0.0.1:5000/x/y@sha256:abc"));
  EXPECT_FALSE(is_image_reference(""));
  EXPECT_FALSE(is_image_reference("-x"));
  EXPECT_FALSE(is_image_reference("a b"));
  EXPECT_FALSE(is_image_reference(std::string(1024 * 1024, 'a')));  // no stack overflow, just false
}

TEST(FieldSyntax, IpLiteralsOnly) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("0.0.0.0"));
  EXPECT_TRUE(is_ip_literal("::"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("fe80::1"));
  EXPECT_FALSE(is_ip_literal("999.1.1.1"));
  EXPECT_FALSE(is_ip_literal("1.2.3"));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal("[::1]"));
  EXPECT_FALSE(is_ip_literal("127.0.0.1 "));
  EXPECT_FALSE(is_ip_literal(std::string(100000, '1')));
}

TEST(FieldSyntax, VolumeSpecs) {
  auto v = parse_volume_spec("data:/prometheus:ro");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->name, "data");
  EXPECT_EQ(v->target, "/prometheus");
  EXPECT_TRUE(v->read_only);
  EXPECT_TRUE(parse_volume_spec("d:/x:rw"));
  EXPECT_FALSE(parse_volume_spec("/etc:/host/etc:ro"));
  EXPECT_FALSE(parse_volume_spec("d:relative"));
  EXPECT_FALSE(parse_volume_spec("d:/x:rx"));
  EXPECT_FALSE(parse_volume_spec("d:/x:ro:ro"));
  EXPECT_FALSE(parse_volume_spec("d:/a\nb"));
}

TEST(FieldSyntax, Urls) {
  EXPECT_FALSE(url_problem("http://host.docker.internal:11434", {"http"}));
  EXPECT_FALSE(url_problem("https://prom.example:9090/sub/path", {"http", "https"}));
  EXPECT_FALSE(url_problem("http://[::1]:9090", {"http"}));
  EXPECT_TRUE(url_problem("javascript:alert(1)", {"http", "https"}));
  EXPECT_TRUE(url_problem("file:///etc/passwd", {"http", "https"}));
  EXPECT_TRUE(url_problem("https://x", {"http"}));
  EXPECT_TRUE(url_problem("http://", {"http"}));
  EXPECT_TRUE(url_problem("http://a b", {"http"}));
  EXPECT_TRUE(url_problem("http://u:p@host", {"http"}));
  EXPECT_TRUE(url_problem("http://host:99999", {"http"}));
  EXPECT_TRUE(url_problem("http://host:", {"http"}));
  EXPECT_TRUE(url_problem("http://" + std::string(1024 * 1024, 'a'), {"http"}));
}

TEST(FieldSyntax, NamesAndShownValues) {
  EXPECT_TRUE(is_stack_name("frontier-llm"));
  EXPECT_FALSE(is_stack_name("Frontier"));
  EXPECT_FALSE(is_stack_name(std::string(41, 'a')));
  EXPECT_TRUE(is_network_name("frontier-monitoring"));
  EXPECT_FALSE(is_network_name(std::string(64, 'a')));
  EXPECT_TRUE(is_env_name("GRAFANA_ADMIN_PASSWORD"));
  EXPECT_FALSE(is_env_name("1X"));
  EXPECT_FALSE(is_env_name("A-B"));
  EXPECT_TRUE(is_grafana_uid("ollama-llm_1"));
  EXPECT_FALSE(is_grafana_uid(std::string(41, 'a')));
  EXPECT_EQ(shown(std::string(1000, 'x')).size(), 60u + std::string("... (1000 bytes)").size());
}

TEST(FieldSyntax, AlertmanagerNamesAndValues) {
  EXPECT_TRUE(is_label_name("alertname"));
  EXPECT_TRUE(is_label_name("_x9"));
  EXPECT_FALSE(is_label_name(""));
  EXPECT_FALSE(is_label_name("9x"));
  EXPECT_FALSE(is_label_name("a-b"));
  EXPECT_FALSE(is_label_name("a:b"));
  EXPECT_TRUE(is_receiver_name("ops.mail_2-x"));
  EXPECT_TRUE(is_receiver_name(std::string(63, 'r')));
  EXPECT_FALSE(is_receiver_name(std::string(64, 'r')));
  EXPECT_FALSE(is_receiver_name("-ops"));
  EXPECT_FALSE(is_receiver_name("ops mail"));
  EXPECT_TRUE(is_host_port("smtp.example.org:587"));
  EXPECT_TRUE(is_host_port("[::1]:25"));
  EXPECT_TRUE(is_host_port("127.0.0.1:65535"));
  EXPECT_FALSE(is_host_port("smtp.example.org"));
  EXPECT_FALSE(is_host_port("smtp.example.org:"));
  EXPECT_FALSE(is_host_port(":25"));
  EXPECT_FALSE(is_host_port("h:0"));
  EXPECT_FALSE(is_host_port("h:65536"));
  EXPECT_FALSE(is_host_port("h:123456"));
  EXPECT_FALSE(is_host_port("[::1:25"));
  EXPECT_FALSE(is_host_port("[1.2.3.4]:25"));
  EXPECT_FALSE(is_host_port("a b:25"));
  EXPECT_TRUE(is_chat_id("-1001234567890"));
  EXPECT_TRUE(is_chat_id("42"));
  EXPECT_FALSE(is_chat_id("-"));
  EXPECT_FALSE(is_chat_id("4 2"));
  EXPECT_FALSE(is_chat_id(std::string(21, '1')));
  EXPECT_TRUE(is_threshold_number("10"));
  EXPECT_TRUE(is_threshold_number("0.05"));
  EXPECT_TRUE(is_threshold_number("123456789012.123456"));
  EXPECT_FALSE(is_threshold_number("1234567890123"));
  EXPECT_FALSE(is_threshold_number("1.1234567"));
  EXPECT_FALSE(is_threshold_number(".5"));
  EXPECT_FALSE(is_threshold_number("5."));
  EXPECT_FALSE(is_threshold_number("-1"));
  EXPECT_FALSE(is_threshold_number("1e3"));
  EXPECT_TRUE(is_runbook_base("https://wiki.example.org/runbooks/ollama.md"));
  EXPECT_TRUE(is_runbook_base("docs/runbooks.md"));
  EXPECT_FALSE(is_runbook_base(""));
  EXPECT_FALSE(is_runbook_base("https://x/y#z"));
  EXPECT_FALSE(is_runbook_base("a b"));
  EXPECT_FALSE(is_runbook_base("a\tb"));
  EXPECT_FALSE(is_runbook_base("a'b"));
  EXPECT_FALSE(is_runbook_base("${x}"));
}

TEST(FieldSyntax, Matchers) {
  for (const char* ok : {"severity=\"critical\"", "severity=critical", " severity = critical ", "severity!=info",
                         "alertname=~\"Ollama.*\"", "alertname!~Ollama.+", "status=~\"5..|stream_error\"",
                         "instance=~\"127\\\\.0\\\\.0\\\\.1:.*\"", "quote=\"She said: \\\"Hi, all!\\\"\"",
                         "summary=\"\"", "path=/api/v1", "_x=1", "team=\"ops {eu}\""})
    EXPECT_EQ(matcher_problem(ok), std::nullopt) << ok;
  auto problem = [](std::string_view m) { return matcher_problem(m).value_or("accepted"); };
  EXPECT_EQ(problem("severity critical"), "the label name must be followed by =, !=, =~ or !~");
  EXPECT_EQ(problem("=critical"), "it must start with a label name (letters, digits and '_', not a digit first)");
  EXPECT_EQ(problem("9x=1"), "it must start with a label name (letters, digits and '_', not a digit first)");
  EXPECT_EQ(problem("{severity=\"critical\"}"), problem("=critical"));
  EXPECT_EQ(problem("severity="), "it has no value (an empty one is written \"\")");
  EXPECT_EQ(problem("severity=!x"), "quote a value with spaces, non-ASCII characters or any of {}!=~,\\\"'`");
  EXPECT_EQ(problem("severity=\"critical"), "its quoted value has no closing '\"'");
  EXPECT_EQ(problem("severity=\"critical\\\""), "its quoted value has no closing '\"'");
  EXPECT_EQ(problem("severity=\"a\"b"), "there is text after its quoted value");
  EXPECT_EQ(problem("severity=\"a\",team=\"b\""), "there is text after its quoted value");
  // Values the classic parser reads differently from the UTF-8 one, or not at all.
  for (const char* quote_it : {"alertname=Ollama Down", "a=b,c", "a=crit\"ical", "a=b=c", "a=x\\d", "a=é", "a={b}"})
    EXPECT_EQ(problem(quote_it), "quote a value with spaces, non-ASCII characters or any of {}!=~,\\\"'`") << quote_it;
  EXPECT_EQ(problem("a=\"x\ny\""), "it contains a control character");
}

// The checks are single passes: a value of 1 MiB is answered, never a crash
// (std::regex overflowed the stack on ~30 KB matchers).
TEST(FieldSyntax, LongValuesAreAnsweredNotFatal) {
  const std::string mib(1024 * 1024, 'a');
  EXPECT_EQ(matcher_problem("severity=\"" + mib), "its quoted value has no closing '\"'");
  EXPECT_EQ(matcher_problem("severity=\"" + mib + "\""), std::nullopt);
  EXPECT_EQ(matcher_problem("severity=" + mib), std::nullopt);
  EXPECT_TRUE(matcher_problem("severity=" + mib + " x"));
  EXPECT_TRUE(matcher_problem(mib));
  EXPECT_TRUE(is_label_name(mib));
  EXPECT_FALSE(is_receiver_name(mib));
  EXPECT_FALSE(is_host_port(mib + ":25x"));
  EXPECT_TRUE(is_host_port(mib + ":25"));
  EXPECT_FALSE(is_chat_id(mib));
  EXPECT_FALSE(is_threshold_number(mib));
  EXPECT_TRUE(is_runbook_base(mib));
}

namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run run(const std::string& command) {
  std::array<char, 4096> buf;
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  while (p && std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  int status = p ? ::pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// An Alertmanager config whose one child route, to receiver "matched", has `matcher`.
std::string config_with(const std::string& matcher) {
  YAML::Emitter quoted;
  quoted << YAML::DoubleQuoted << matcher;
  auto path = std::filesystem::temp_directory_path() / ("stackd-matcher-" + std::to_string(::getpid()) + ".yml");
  std::ofstream(path) << "route:\n  receiver: default\n  routes:\n    - receiver: matched\n      matchers: ["
                      << quoted.c_str() << "]\nreceivers: [{name: default}, {name: matched}]\n";
  return path.string();
}

// The receiver `amtool config routes test` sends these labels to.
std::string receiver_for(const std::string& config, const std::string& labels) {
  auto r = run(std::string(STACKD_AMTOOL) + " config routes test --config.file=" + config + " " + labels);
  auto out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.substr(out.find_last_of('\n') == std::string::npos ? 0 : out.find_last_of('\n') + 1);
}

}  // namespace

// matcher_problem against the real Alertmanager (Debian's amtool): what it
// accepts loads and routes the alerts it should; what the earlier check let
// through and Alertmanager refuses is refused here as well.
TEST(FieldSyntax, MatchersMeanToAlertmanagerWhatTheySay) {
  struct Case {
    std::string matcher, matching, other;  // labels routed to "matched", labels that are not
  };
  for (const Case& c : std::vector<Case>{
           {"severity=\"critical\"", "severity=critical", "severity=warning"},
           {" severity = critical ", "severity=critical", "severity=warning"},
           {"severity!=info", "severity=critical", "severity=info"},
           {"alertname=~\"Ollama.*\"", "alertname=OllamaDown", "alertname=TargetDown"},
           {"alertname!~Ollama.+", "alertname=TargetDown", "alertname=OllamaDown"},
           {"status=~\"5..|stream_error\"", "status=stream_error", "status=200"},
           {"instance=~\"127\\.0\\.0\\.1:.*\"", "instance=127.0.0.1:9100", "instance=127x0.0.1:9100"},
           {"path=/api/v1", "path=/api/v1", "path=/api/v2"},
           {"quote=\"She said: \\\"Hi, all!\\\"\"", "", "quote=Hi"},
       }) {
    ASSERT_EQ(matcher_problem(c.matcher), std::nullopt) << c.matcher;
    auto config = config_with(c.matcher);
    auto checked = run(std::string(STACKD_AMTOOL) + " check-config " + config);
    EXPECT_EQ(checked.exit_code, 0) << c.matcher << ": " << checked.output;
    if (!c.matching.empty()) {
      EXPECT_EQ(receiver_for(config, c.matching), "matched") << c.matcher;
    }
    EXPECT_EQ(receiver_for(config, c.other), "default") << c.matcher;
    std::filesystem::remove(config);
  }
  for (const char* refused : {"a=b,c", "a=crit\"ical", "severity critical"}) {
    EXPECT_TRUE(matcher_problem(refused)) << refused;
    auto config = config_with(refused);
    EXPECT_NE(run(std::string(STACKD_AMTOOL) + " check-config " + config).exit_code, 0) << refused;
    std::filesystem::remove(config);
  }
}
