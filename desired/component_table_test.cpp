#include <gtest/gtest.h>

#include "api/v1alpha1/component_kind.hpp"
#include "desired/component_table.hpp"

using namespace stackd;

// A kind added to the manifest's schema table but not to the component
// table would otherwise be silently never rendered.
TEST(ComponentTable, EveryKindOfTheSchemaHasExactlyOneRow) {
  for (const auto& schema : manifest::component_schemas()) {
    int rows = 0;
    for (const auto& d : desired::component_definitions()) rows += d.kind == schema.kind;
    EXPECT_EQ(rows, 1) << schema.name;
    EXPECT_NE(desired::definition_of(schema.kind).render, nullptr) << schema.name;
  }
  EXPECT_EQ(desired::component_definitions().size(), manifest::component_schemas().size());
}

TEST(ComponentTable, NamesRoundTrip) {
  for (const auto& schema : manifest::component_schemas()) {
    EXPECT_EQ(manifest::component_kind_named(schema.name), schema.kind);
    EXPECT_EQ(manifest::to_string(schema.kind), schema.name);
  }
  EXPECT_FALSE(manifest::component_kind_named("nope"));
}
