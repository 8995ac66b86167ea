// TraceState: W3C tracestate parsing, serialization and mutation (W3C Trace Context, 3.3; the
// tracestate cases of the W3C test suite at strict level 2).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adminara/obs/span_context.h"

namespace adminara::obs {
namespace {

using Entries = std::vector<TraceState::Entry>;

// The members bar01=01 ... barNN=NN.
std::string numbered_members(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) {
    const std::string num = (i < 10 ? "0" : "") + std::to_string(i);
    if (!s.empty()) s += ',';
    s += "bar" + num + "=" + num;
  }
  return s;
}

TEST(TraceStateParse, KeepsMembersInOrder) {
  TraceState ts = TraceState::parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(ts.entries(), (Entries{{"congo", "t61rcWkgMzE"}, {"rojo", "00f067aa0ba902b7"}}));
  EXPECT_EQ(ts.get("rojo"), "00f067aa0ba902b7");
  EXPECT_EQ(ts.get("missing"), std::nullopt);
}

TEST(TraceStateParse, EmptyHeaderIsAcceptedAndEmpty) {
  EXPECT_TRUE(TraceState::parse("").empty());
  EXPECT_TRUE(TraceState::parse(" \t ").empty());
  EXPECT_TRUE(TraceState::parse(",, \t ,").empty());
}

TEST(TraceStateParse, EmptyMembersAreIgnored) {
  // Several headers are joined with ',', so an empty header becomes an empty member.
  EXPECT_EQ(TraceState::parse("foo=1,").entries(), (Entries{{"foo", "1"}}));
  EXPECT_EQ(TraceState::parse(",foo=1").entries(), (Entries{{"foo", "1"}}));
  EXPECT_EQ(TraceState::parse("foo=1,  ,\t,bar=2").entries(),
            (Entries{{"foo", "1"}, {"bar", "2"}}));
}

TEST(TraceStateParse, MultipleHeadersCombineInOrder) {
  TraceState ts = TraceState::parse("foo=1,bar=2,rojo=1,congo=2,baz=3");
  EXPECT_EQ(ts.serialize(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(TraceStateParse, OwsAroundMembersIsIgnored) {
  const Entries three{{"foo", "1"}, {"bar", "2"}, {"baz", "3"}};
  EXPECT_EQ(TraceState::parse("foo=1 \t , \t bar=2, \t baz=3").entries(), three);
  EXPECT_EQ(TraceState::parse("foo=1\t \t,\t \tbar=2,\t \tbaz=3").entries(), three);
  for (const char* h : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"}) {
    EXPECT_EQ(TraceState::parse(h).entries(), (Entries{{"foo", "1"}})) << '"' << h << '"';
  }
}

TEST(TraceStateParse, LeadingSpacesArePartOfTheValue) {
  EXPECT_EQ(TraceState::parse("foo= 1").get("foo"), " 1");
  EXPECT_EQ(TraceState::parse("foo=a b").get("foo"), "a b");
}

TEST(TraceStateParse, DuplicateKeysDiscardTheHeader) {
  EXPECT_TRUE(TraceState::parse("foo=1,foo=1").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,foo=2").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,bar=2,foo=3").empty());
}

TEST(TraceStateParse, ThirtyTwoMembersAreKept) {
  TraceState ts = TraceState::parse(numbered_members(32));
  ASSERT_EQ(ts.entries().size(), 32U);
  EXPECT_EQ(ts.get("bar01"), "01");
  EXPECT_EQ(ts.get("bar32"), "32");
}

TEST(TraceStateParse, ThirtyThreeMembersDiscardTheHeader) {
  EXPECT_TRUE(TraceState::parse(numbered_members(33)).empty());
  // Empty members do not count.
  EXPECT_EQ(TraceState::parse(",," + numbered_members(32) + ",,").entries().size(), 32U);
}

TEST(TraceStateParse, AllAllowedCharacters) {
  const std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  const std::string vendor_key = key + "@a-z0-9_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c) {
    if (c != ',' && c != '=') value += static_cast<char>(c);
  }
  EXPECT_EQ(TraceState::parse(key + "=" + value).get(key), value);
  EXPECT_EQ(TraceState::parse(vendor_key + "=" + value).get(vendor_key), value);
}

TEST(TraceStateParse, IllegalKeyCharactersDiscardTheHeader) {
  for (const char* h : {"foo =1", "FOO=1", "foo.bar=1", "fOo=1,bar=2", "bar=2,foo!=1"}) {
    EXPECT_TRUE(TraceState::parse(h).empty()) << h;
  }
}

TEST(TraceStateParse, IllegalVendorFormatDiscardsTheHeader) {
  for (const char* h : {"foo@=1,bar=2", "@foo=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2",
                        "foo@1bar=1", "_foo@bar=1"}) {
    EXPECT_TRUE(TraceState::parse(h).empty()) << h;
  }
}

TEST(TraceStateParse, KeyLengthLimits) {
  EXPECT_EQ(TraceState::parse("foo=1," + std::string(256, 'z') + "=1").entries().size(), 2U);
  EXPECT_TRUE(TraceState::parse("foo=1," + std::string(257, 'z') + "=1").empty());
  const std::string tenant_max = std::string(241, 't') + "@" + std::string(14, 'v');
  EXPECT_EQ(TraceState::parse("foo=1," + tenant_max + "=1").get(tenant_max), "1");
  EXPECT_TRUE(TraceState::parse("foo=1," + std::string(242, 't') + "@v=1").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,t@" + std::string(15, 'v') + "=1").empty());
}

TEST(TraceStateKey, Level2Rules) {
  EXPECT_TRUE(TraceState::is_valid_key("a"));
  EXPECT_TRUE(TraceState::is_valid_key("1abc"));  // Level 2: a simple key may start with a digit
  EXPECT_TRUE(TraceState::is_valid_key("1tenant@sys"));
  EXPECT_TRUE(TraceState::is_valid_key("a_-*/9"));
  EXPECT_FALSE(TraceState::is_valid_key(""));
  EXPECT_FALSE(TraceState::is_valid_key("-a"));
  EXPECT_FALSE(TraceState::is_valid_key("*a"));
  EXPECT_FALSE(TraceState::is_valid_key("a b"));
  EXPECT_FALSE(TraceState::is_valid_key("tenant@9sys"));  // system-id starts with a letter
  EXPECT_FALSE(TraceState::is_valid_key("tenant@"));
  EXPECT_FALSE(TraceState::is_valid_key("@sys"));
}

TEST(TraceStateParse, IllegalValuesDiscardTheHeader) {
  EXPECT_TRUE(TraceState::parse("foo=bar=baz").empty());
  EXPECT_TRUE(TraceState::parse("foo=,bar=3").empty());
  EXPECT_TRUE(TraceState::parse("foo").empty());
  EXPECT_TRUE(TraceState::parse("foo=a\tb").empty());
  EXPECT_TRUE(TraceState::parse("foo=caf\xc3\xa9").empty());
  EXPECT_TRUE(TraceState::parse("=1").empty());
}

TEST(TraceStateValue, LengthAndTrailingSpace) {
  EXPECT_TRUE(TraceState::is_valid_value(std::string(256, 'v')));
  EXPECT_FALSE(TraceState::is_valid_value(std::string(257, 'v')));
  EXPECT_FALSE(TraceState::is_valid_value(""));
  EXPECT_FALSE(TraceState::is_valid_value("1 "));
  EXPECT_TRUE(TraceState::is_valid_value(" 1"));
  EXPECT_FALSE(TraceState::is_valid_value("a,b"));
  EXPECT_FALSE(TraceState::is_valid_value("a=b"));
  EXPECT_FALSE(TraceState::is_valid_value("a\x7f"));
}

TEST(TraceStateSerialize, Forms) {
  EXPECT_EQ(TraceState().serialize(), "");
  EXPECT_EQ(TraceState::parse(" a=1 ,, b=2 ").serialize(), "a=1,b=2");
}

TEST(TraceStateSerialize, RoundTrip) {
  for (const std::string& h :
       {std::string("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"), numbered_members(32),
        std::string("a@b=  x y,c=~!\"#$%&'()*+-./:;<>?@[\\]^_`{|}")}) {
    TraceState ts = TraceState::parse(h);
    ASSERT_FALSE(ts.empty()) << h;
    EXPECT_EQ(ts.serialize(), h);
    EXPECT_EQ(TraceState::parse(ts.serialize()), ts);
  }
}

TEST(TraceStateMutation, SetMovesTheKeyToTheFront) {
  TraceState ts = TraceState::parse("a=1,b=2,c=3");
  EXPECT_EQ(ts.set("b", "9").serialize(), "b=9,a=1,c=3");
  EXPECT_EQ(ts.set("d", "4").serialize(), "d=4,a=1,b=2,c=3");
  EXPECT_EQ(ts.serialize(), "a=1,b=2,c=3");  // the original is unchanged
}

TEST(TraceStateMutation, SetWithInvalidKeyOrValueChangesNothing) {
  TraceState ts = TraceState::parse("a=1");
  EXPECT_EQ(ts.set("B", "1"), ts);
  EXPECT_EQ(ts.set("b", ""), ts);
  EXPECT_EQ(ts.set("b", "x,y"), ts);
  EXPECT_EQ(ts.set("b", "x "), ts);
}

TEST(TraceStateMutation, SetOnAFullStateDropsTheRightMost) {
  TraceState full = TraceState::parse(numbered_members(32));
  TraceState added = full.set("new", "1");
  ASSERT_EQ(added.entries().size(), 32U);
  EXPECT_EQ(added.entries().front(), (TraceState::Entry{"new", "1"}));
  EXPECT_EQ(added.get("bar32"), std::nullopt);
  EXPECT_EQ(added.get("bar31"), "31");
  TraceState updated = full.set("bar32", "x");
  ASSERT_EQ(updated.entries().size(), 32U);
  EXPECT_EQ(updated.entries().front(), (TraceState::Entry{"bar32", "x"}));
  EXPECT_EQ(updated.entries().back(), (TraceState::Entry{"bar31", "31"}));
}

TEST(TraceStateMutation, Erase) {
  TraceState ts = TraceState::parse("a=1,b=2,c=3");
  EXPECT_EQ(ts.erase("b").serialize(), "a=1,c=3");
  EXPECT_EQ(ts.erase("zz"), ts);
  EXPECT_TRUE(ts.erase("a").erase("b").erase("c").empty());
}

}  // namespace
}  // namespace adminara::obs
