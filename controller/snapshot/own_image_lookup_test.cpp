#include "controller/snapshot/own_image_lookup.hpp"

#include <gtest/gtest.h>

using namespace stackd;

// Only a stack that runs the Ollama exporter from stackd's own image makes
// stackd look for the container it runs in.
TEST(OwnImageLookup, OnlyAnExporterWithoutAnImageOfItsOwnNeedsIt) {
  manifest::Manifest m;
  m.ollama.exporter.enabled = true;
  EXPECT_TRUE(snapshot::needs_own_image(m));
  m.ollama.exporter.image = "registry.example/stackd:0.1.0";
  EXPECT_FALSE(snapshot::needs_own_image(m));
  m.ollama.exporter.image.clear();
  m.ollama.exporter.enabled = false;
  EXPECT_FALSE(snapshot::needs_own_image(m));
}
