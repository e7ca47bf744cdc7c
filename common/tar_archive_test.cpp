#include "common/tar_archive.hpp"

#include <gtest/gtest.h>

TEST(TarArchive, RoundTripsFilesWithModes) {
  std::vector<stackd::TarFile> in{{"etc/prometheus/prometheus.yml", "global: {}\n", 0644, 65534, 65534},
                                  {"run/secrets/pw", "s3cret", 0400, 472, 0}};
  auto tar = stackd::make_tar(in);
  EXPECT_EQ(stackd::make_tar(in), tar) << "archives must be deterministic";
  auto out = stackd::read_tar(tar);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].path, "etc/prometheus/prometheus.yml");
  EXPECT_EQ(out[0].content, "global: {}\n");
  EXPECT_EQ(out[0].uid, 65534u);
  EXPECT_EQ(out[1].mode, 0400u);
}

TEST(TarArchive, BoundsWhatItReads) {
  auto tar = stackd::make_tar({{"big", std::string(4096, 'x')}});
  EXPECT_THROW(stackd::read_tar(tar, 1024), std::runtime_error);
  EXPECT_THROW(stackd::read_tar("not a tar at all, not at all"), std::runtime_error);
}
