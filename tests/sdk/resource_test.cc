#include "adminara/obs/resource.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace adminara::obs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Resource, DefaultIsEmpty) {
  Resource r;
  EXPECT_THAT(r.attributes(), IsEmpty());
  EXPECT_EQ(r.get("service.name"), nullptr);
  EXPECT_EQ(r.get_string("service.name"), "");
}

TEST(Resource, KeepsAttributesInOrder) {
  Resource r({{"service.name", "adminara"}, {"process.pid", 42}, {"a", true}});
  EXPECT_THAT(r.attributes(), ElementsAre(KeyValue{"service.name", "adminara"},
                                          KeyValue{"process.pid", 42}, KeyValue{"a", true}));
}

TEST(Resource, DuplicateKeyKeepsFirstPositionAndLastValue) {
  Resource r({{"a", "1"}, {"b", "2"}, {"a", "3"}});
  EXPECT_THAT(r.attributes(), ElementsAre(KeyValue{"a", "3"}, KeyValue{"b", "2"}));
}

TEST(Resource, GetStringReturnsOnlyStrings) {
  Resource r({{"service.name", "adminara"}, {"process.pid", 42}});
  EXPECT_EQ(r.get_string("service.name"), "adminara");
  EXPECT_EQ(r.get_string("process.pid"), "");
  EXPECT_EQ(r.get_string("missing"), "");
  ASSERT_NE(r.get("process.pid"), nullptr);
  EXPECT_EQ(*r.get("process.pid"), AttributeValue(42));
}

TEST(Resource, MergeLetsOtherWinAndKeepsOrder) {
  Resource base({{"service.name", "a"}, {"host.name", "h"}, {"x", 1}});
  Resource update({{"x", 2}, {"new.one", "n"}, {"service.name", "b"}, {"new.two", true}});
  Resource merged = base.merged_with(update);
  EXPECT_THAT(merged.attributes(),
              ElementsAre(KeyValue{"service.name", "b"}, KeyValue{"host.name", "h"},
                          KeyValue{"x", 2}, KeyValue{"new.one", "n"}, KeyValue{"new.two", true}));
  // Both inputs are unchanged.
  EXPECT_EQ(base.get_string("service.name"), "a");
  EXPECT_EQ(update.attributes().size(), 4u);
}

TEST(Resource, MergeWithEmpty) {
  Resource r(std::vector<KeyValue>{{"a", "1"}});
  EXPECT_EQ(r.merged_with(Resource()).attributes(), r.attributes());
  EXPECT_EQ(Resource().merged_with(r).attributes(), r.attributes());
}

TEST(Resource, MergeCanChangeTheValueType) {
  Resource merged = Resource(std::vector<KeyValue>{{"a", "1"}})
                        .merged_with(Resource(std::vector<KeyValue>{{"a", 1}}));
  EXPECT_THAT(merged.attributes(), ElementsAre(KeyValue{"a", 1}));
}

}  // namespace
}  // namespace adminara::obs
