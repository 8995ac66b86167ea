// Baggage: W3C baggage parsing, percent-coding, limits and mutation (W3C Baggage).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adminara/obs/context.h"

namespace adminara::obs {
namespace {

using Entry = Baggage::Entry;
using Entries = std::vector<Entry>;

constexpr const char* kReplacement = "\xef\xbf\xbd";  // U+FFFD

// `n` members k0=v ... k<n-1>=v.
std::string numbered_members(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += ',';
    s += "k" + std::to_string(i) + "=v";
  }
  return s;
}

TEST(BaggageParse, Members) {
  Baggage b = Baggage::parse("userId=alice,serverNode=DF%2028,isProduction=false");
  EXPECT_EQ(b.entries(), (Entries{{"userId", "alice", ""},
                                  {"serverNode", "DF 28", ""},
                                  {"isProduction", "false", ""}}));
  EXPECT_EQ(b.get("serverNode"), "DF 28");
  EXPECT_EQ(b.get("missing"), std::nullopt);
}

TEST(BaggageParse, OwsIsNotPartOfKeysOrValues) {
  Baggage b = Baggage::parse(" \t a \t = \t 1 \t , b=2\t,\tc =3");
  EXPECT_EQ(b.entries(), (Entries{{"a", "1", ""}, {"b", "2", ""}, {"c", "3", ""}}));
}

TEST(BaggageParse, EmptyHeaderAndEmptyMembers) {
  EXPECT_TRUE(Baggage::parse("").empty());
  EXPECT_TRUE(Baggage::parse(" , ,").empty());
  EXPECT_EQ(Baggage::parse(",,a=1,,").entries(), (Entries{{"a", "1", ""}}));
}

TEST(BaggageParse, PropertiesAreKeptVerbatim) {
  Baggage b = Baggage::parse("key1=value1;property1;property2, key2 = value2 ; p = 1 ;q=%20");
  EXPECT_EQ(b.entries(), (Entries{{"key1", "value1", "property1;property2"},
                                  {"key2", "value2", "p = 1 ;q=%20"}}));
  EXPECT_EQ(b.serialize(), "key1=value1;property1;property2,key2=value2;p = 1 ;q=%20");
}

TEST(BaggageParse, InvalidMembersAreSkipped) {
  const char* invalid[] = {
      "no-equals", "=v",     "bad key=1", "k(=v",    "k=a b",  "k=a\"b",  "k=a\\b",
      "k=v;",      "k=v;;p", "k=v;p=\"",  "k=v;(p)", "k=\x80", "k\x80=v", "k=v;p=a b",
  };
  for (const char* m : invalid) {
    EXPECT_EQ(Baggage::parse(std::string(m) + ",ok=1").entries(), (Entries{{"ok", "1", ""}})) << m;
  }
}

TEST(BaggageParse, TokenKeysAndOctetValues) {
  const std::string key = "!#$%&'*+-.^_`|~09azAZ";
  std::string value;
  for (int c = 0x21; c <= 0x7e; ++c) {
    if (c != '"' && c != ',' && c != ';' && c != '\\' && c != '%') value += static_cast<char>(c);
  }
  EXPECT_EQ(Baggage::parse(key + "=" + value).get(key), value);
  EXPECT_EQ(Baggage::parse("k=a=b==c").get("k"), "a=b==c");
  EXPECT_EQ(Baggage::parse("k=").get("k"), "");
}

TEST(BaggageParse, PercentDecoding) {
  EXPECT_EQ(Baggage::parse("k=a%20b%2C%3B%22%5C%25").get("k"), "a b,;\"\\%");
  EXPECT_EQ(Baggage::parse("k=J%C3%BCrgen").get("k"), "J\xc3\xbcrgen");
  EXPECT_EQ(Baggage::parse("k=J%c3%bcrgen").get("k"), "J\xc3\xbcrgen");  // either hex case
  EXPECT_EQ(Baggage::parse("k=%F0%9F%98%80").get("k"), "\xf0\x9f\x98\x80");
}

TEST(BaggageParse, InvalidUtf8DecodesToReplacementCharacter) {
  const std::string r = kReplacement;
  EXPECT_EQ(Baggage::parse("k=%FF").get("k"), r);
  EXPECT_EQ(Baggage::parse("k=a%C3").get("k"), "a" + r);                // truncated sequence
  EXPECT_EQ(Baggage::parse("k=%C0%AF").get("k"), r + r);                // overlong
  EXPECT_EQ(Baggage::parse("k=%ED%A0%80").get("k"), r + r + r);         // surrogate
  EXPECT_EQ(Baggage::parse("k=%F4%90%80%80").get("k"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(Baggage::parse("k=%E2%82x").get("k"), r + r + "x");
}

TEST(BaggageParse, PercentNotStartingAnEscapeIsKept) {
  EXPECT_EQ(Baggage::parse("k=50%").get("k"), "50%");
  EXPECT_EQ(Baggage::parse("k=%zz").get("k"), "%zz");
  EXPECT_EQ(Baggage::parse("k=%4").get("k"), "%4");
  EXPECT_EQ(Baggage::parse("k=%4g%41").get("k"), "%4gA");
}

TEST(BaggageSerialize, PercentEncodesOutsideTheValueCharset) {
  Baggage b = Baggage().set("k", "a b,c;d\"e\\f%g=h\n\xc3\xa9~");
  EXPECT_EQ(b.serialize(), "k=a%20b%2Cc%3Bd%22e%5Cf%25g=h%0A%C3%A9~");
}

TEST(BaggageSerialize, PercentEncodingRoundTripsEveryByte) {
  std::string ascii;
  for (int c = 0; c < 0x80; ++c) ascii += static_cast<char>(c);
  const std::string text = ascii + "J\xc3\xbcrgen \xf0\x9f\x98\x80";
  Baggage b = Baggage().set("k", text);
  EXPECT_EQ(b.get("k"), text);
  EXPECT_EQ(Baggage::parse(b.serialize()).get("k"), text);
  EXPECT_EQ(Baggage::parse(b.serialize()), b);
}

TEST(BaggageSerialize, RoundTrip) {
  const std::string header = "a=1,b=x%20y;p1;p2=v,c=%C3%A9,a=dup";
  Baggage b = Baggage::parse(header);
  EXPECT_EQ(b.serialize(), header);
  EXPECT_EQ(Baggage::parse(b.serialize()), b);
  EXPECT_EQ(Baggage().serialize(), "");
}

TEST(BaggageMutation, SetStoresValidUtf8) {
  EXPECT_EQ(Baggage().set("k", "a\xff").get("k"), std::string("a") + kReplacement);
}

TEST(BaggageMutation, SetReplacesAndAppends) {
  Baggage b = Baggage::parse("a=1,b=2,c=3");
  EXPECT_EQ(b.set("b", "9").serialize(), "a=1,b=9,c=3");
  EXPECT_EQ(b.set("d", "4", "p").serialize(), "a=1,b=2,c=3,d=4;p");
  EXPECT_EQ(b.serialize(), "a=1,b=2,c=3");  // the original is unchanged
}

TEST(BaggageMutation, InvalidKeyOrMetadataChangesNothing) {
  Baggage b = Baggage::parse("a=1");
  EXPECT_EQ(b.set("bad key", "1"), b);
  EXPECT_EQ(b.set("", "1"), b);
  EXPECT_EQ(b.set("k", "1", "p,q"), b);
  EXPECT_EQ(b.set("k", "1", "p;"), b);
  EXPECT_EQ(b.set("k", "1", " p=1 ").entries().back(), (Entry{"k", "1", "p=1"}));
}

TEST(BaggageDuplicates, KeptInOrderLastWins) {
  Baggage b = Baggage::parse("a=1,b=2,a=3");
  EXPECT_EQ(b.entries().size(), 3U);
  EXPECT_EQ(b.get("a"), "3");
  // set() keeps the place of the first entry and drops the later ones; erase() drops all.
  EXPECT_EQ(b.set("a", "9").serialize(), "a=9,b=2");
  EXPECT_EQ(b.erase("a").serialize(), "b=2");
}

TEST(BaggageLimits, SixtyFourMembersAreKept) {
  EXPECT_EQ(Baggage::parse(numbered_members(64)).entries().size(), 64U);
}

TEST(BaggageLimits, MembersPastSixtyFourAreDropped) {
  Baggage b = Baggage::parse(numbered_members(65));
  ASSERT_EQ(b.entries().size(), 64U);
  EXPECT_EQ(b.get("k63"), "v");
  EXPECT_EQ(b.get("k64"), std::nullopt);
  // Invalid members do not count.
  EXPECT_EQ(Baggage::parse("x y=1," + numbered_members(64)).entries().size(), 64U);
}

TEST(BaggageLimits, EightKibibytesAreKept) {
  const std::string m1 = "a=" + std::string(4093, 'x');  // 4095 bytes
  const std::string m2 = "b=" + std::string(4094, 'y');  // 4096 bytes, with the ',' 8192
  ASSERT_EQ(m1.size() + 1 + m2.size(), 8192U);
  Baggage b = Baggage::parse(m1 + "," + m2);
  EXPECT_EQ(b.entries().size(), 2U);
  EXPECT_EQ(b.serialize(), m1 + "," + m2);
}

TEST(BaggageLimits, MembersPastEightKibibytesAreDroppedWhole) {
  const std::string m1 = "a=" + std::string(4093, 'x');
  const std::string m2 = "b=" + std::string(4095, 'y');  // one byte too many
  Baggage b = Baggage::parse(m1 + "," + m2 + ",c=1");
  // b is dropped whole (never cut); the later, smaller c still fits.
  EXPECT_EQ(b.entries(), (Entries{{"a", std::string(4093, 'x'), ""}, {"c", "1", ""}}));
}

TEST(BaggageLimits, LimitsApplyAcrossJoinedHeaders) {
  Baggage b = Baggage::parse(numbered_members(40) + "," + numbered_members(40));
  EXPECT_EQ(b.entries().size(), 64U);
}

TEST(BaggageLimits, SerializeLeavesOutWholeMembers) {
  Baggage b;
  for (int i = 0; i < 70; ++i) b = b.set("k" + std::to_string(i), "v");
  ASSERT_EQ(b.entries().size(), 70U);  // set() does not enforce the propagation limits
  Baggage sent = Baggage::parse(b.serialize());
  EXPECT_EQ(sent.entries().size(), 64U);
  EXPECT_EQ(sent.get("k63"), "v");

  // Percent-encoding counts: 3000 spaces take 9000 bytes on the wire.
  Baggage big = Baggage().set("a", "1").set("big", std::string(3000, ' ')).set("c", "2");
  EXPECT_EQ(big.serialize(), "a=1,c=2");
}

}  // namespace
}  // namespace adminara::obs
