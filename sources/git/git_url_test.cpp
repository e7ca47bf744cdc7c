#include "sources/git/git_url.hpp"

#include <gtest/gtest.h>

namespace stackd::git {
namespace {

TEST(RemoteUrl, Transports) {
  EXPECT_EQ(parse_remote_url("file:///srv/git/stack.git").transport, Transport::File);
  EXPECT_EQ(parse_remote_url("/srv/git/stack.git").url, "file:///srv/git/stack.git");
  EXPECT_EQ(parse_remote_url("git://127.0.0.1:9418/stack.git").transport, Transport::Git);
  EXPECT_EQ(parse_remote_url("https://example.com/o/r.git").transport, Transport::Http);
  EXPECT_EQ(parse_remote_url("ssh://git@127.0.0.1:2222/srv/r.git").transport, Transport::Ssh);
  auto scp = parse_remote_url("git@github.com:o/r.git");
  EXPECT_EQ(scp.transport, Transport::Ssh);
  EXPECT_EQ(scp.url, "git@github.com:o/r.git");
}

TEST(RemoteUrl, CredentialsLeaveTheHttpUrl) {
  auto r = parse_remote_url("https://bob:s3cr%40t@example.com/o/r.git");
  EXPECT_EQ(r.url, "https://example.com/o/r.git");
  EXPECT_EQ(r.display, "https://example.com/o/r.git");
  EXPECT_EQ(r.username, "bob");
  EXPECT_EQ(r.password, "s3cr@t");
  auto token_only = parse_remote_url("https://ghp_abcdef@example.com/o/r.git");
  EXPECT_EQ(token_only.url.find("ghp_"), std::string::npos);
}

TEST(RemoteUrl, RefusesWhatCannotBeSafe) {
  EXPECT_THROW(parse_remote_url(""), std::invalid_argument);
  EXPECT_THROW(parse_remote_url("--upload-pack=touch /tmp/x"), std::invalid_argument);
  EXPECT_THROW(parse_remote_url("ftp://example.com/r.git"), std::invalid_argument);
  EXPECT_THROW(parse_remote_url("ssh://u:pw@example.com/r.git"), std::invalid_argument);
  EXPECT_THROW(parse_remote_url("git://u:pw@example.com/r.git"), std::invalid_argument);
  EXPECT_THROW(parse_remote_url("https://example.com/r\n.git"), std::invalid_argument);
  try {
    parse_remote_url("ssh://u:hunter2@example.com/r.git");
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos);
  }
}

TEST(RedactUrls, RemovesUserinfoFromMessages) {
  EXPECT_EQ(redact_urls("fatal: unable to access 'https://bob:pw@h/r.git/': 403"),
            "fatal: unable to access 'https://h/r.git/': 403");
  EXPECT_EQ(redact_urls("no url here"), "no url here");
  EXPECT_EQ(redact_urls("ssh://git@h/r and https://t@x/y"), "ssh://h/r and https://x/y");
  EXPECT_EQ(redact_urls("git+ssh://u@h/r 1x://u@h ://u@h 9://u@h"), "git+ssh://h/r 1x://h ://u@h 9://u@h");
  EXPECT_EQ(redact_urls("a://b://c@d x://y z@w 'https://q:r@s'"), "a://b://d x://y z@w 'https://s'");
}

// redact_urls takes any text. Its callers pass at most a URL (4 KB) or 500
// characters of git's output today, but a ~30 KB URL-like run made the
// std::regex_replace it used overflow the stack.
TEST(RedactUrls, LongOutputIsOnePass) {
  const std::string lng(1024 * 1024, 'a');
  EXPECT_EQ(redact_urls("remote: https://" + lng + " done"), "remote: https://" + lng + " done");
  EXPECT_EQ(redact_urls("remote: https://" + lng + "@h/r"), "remote: https://h/r");
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "x://";
  EXPECT_EQ(redact_urls(many + "u@h"), many + "h");
}

}  // namespace
}  // namespace stackd::git
