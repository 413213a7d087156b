#include "analyzer/support/json_writer.h"

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>


namespace ptlint {
namespace {

using ojson = nlohmann::ordered_json;

std::string Dump(const ojson& j, int indent = 2) {
  return j.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

TEST(JsonWriter, StringsEscapeExactlyLikeNlohmann) {
  const std::string cases[] = {
      "",
      "plain",
      "exactly8",
      "quote \" backslash \\ slash /",
      std::string("nul \0 and \x01\x1f\x7f", 14),
      "tab\tnewline\ncr\rbs\bff\f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",   // valid UTF-8
      "bad \xff\xfe byte",                             // invalid bytes: U+FFFD
      "truncated \xe2\x82",                            // incomplete sequence at the end
      "overlong \xc0\xaf and surrogate \xed\xa0\x80",
      std::string(100, 'x') + "\"" + std::string(100, 'y'),
  };
  for (const std::string& s : cases) {
    for (int indent : {2, -1}) {
      JsonWriter w(indent);
      w.BeginObject();
      w.Key(s);
      w.String(s);
      w.EndObject();
      ojson j;
      j[s] = s;
      EXPECT_EQ(w.view(), Dump(j, indent)) << s;
    }
  }
}

// Clean strings are copied in blocks (16 bytes, and overlapping halves for
// shorter ones): every length around the block sizes, with a byte that needs
// care at every position, must still be escaped like nlohmann does.
TEST(JsonWriter, StringsOfEveryLengthAndSpecialBytePosition) {
  const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' ', '\x80', '\xc3', '\xff'};
  for (size_t n = 0; n <= 50; ++n) {
    std::string base;
    for (size_t i = 0; i < n; ++i) base += static_cast<char>('a' + i % 26);
    std::vector<std::string> cases = {base};
    for (size_t pos = 0; pos < n; ++pos) {
      for (char c : specials) {
        std::string s = base;
        s[pos] = c;
        cases.push_back(s);
      }
    }
    JsonWriter w(2);
    w.StringArray(cases);
    EXPECT_EQ(w.view(), Dump(ojson(cases))) << n;
  }
}

// Non-ASCII strings go through nlohmann's serializer; a sink writer may
// flush its buffer while one is written.
TEST(JsonWriter, NonAsciiStringsAcrossSinkFlushes) {
  std::vector<std::string> items;
  for (int i = 0; i < 30000; ++i) {
    items.push_back("caf\xc3\xa9 " + std::to_string(i) + (i % 3 == 0 ? "\xff" : "") +
                    std::string(static_cast<size_t>(i % 40), 'x'));
  }
  std::ostringstream sink;
  {
    JsonWriter w(sink, 2);
    w.BeginArray();
    for (const std::string& s : items) {
      w.String(s);
      w.BeginObject();
      w.Key(s);
      w.String(s);
      w.EndObject();
    }
    w.EndArray();
  }
  ojson doc = ojson::array();
  for (const std::string& s : items) {
    doc.push_back(s);
    doc.push_back({{s, s}});
  }
  EXPECT_EQ(sink.str(), Dump(doc));
}

TEST(JsonWriter, NestingAndEmptyContainersMatchDump) {
  ojson deep = {{"a", {1, 2.5, nullptr, true}}, {"b", ojson::object()}, {"c", ojson::array()},
                {"d", {{"e", "f"}}}};
  for (int indent : {2, 4, -1}) {
    JsonWriter w(indent);
    w.BeginObject();
    w.Key("empty_object");
    w.BeginObject();
    w.EndObject();
    w.Key("empty_array");
    w.BeginArray();
    w.EndArray();
    w.Key("ints");
    w.IntArray({-1, 0, 9223372036854775807});
    w.MemberUInt("big", 18446744073709551615ull);
    w.MemberBool("t", true);
    w.Key("null");
    w.Null();
    w.Key("nested");
    w.BeginArray();
    w.StringArray({"x", "y"});
    w.Value(deep);
    w.EndArray();
    w.EndObject();
    ojson j;
    j["empty_object"] = ojson::object();
    j["empty_array"] = ojson::array();
    j["ints"] = std::vector<int64_t>{-1, 0, 9223372036854775807};
    j["big"] = 18446744073709551615ull;
    j["t"] = true;
    j["null"] = nullptr;
    j["nested"] = ojson::array({ojson::array({"x", "y"}), deep});
    EXPECT_EQ(w.view(), Dump(j, indent)) << indent;
  }
}

#ifdef NDEBUG
// A Run whose bound was summed too small, but whose output still fits the
// buffer: the always-on check at the end of the run keeps the bytes (debug
// builds assert instead, to find the wrong bound).
TEST(JsonWriter, RunPastItsBoundInsideTheBufferKeepsItsBytes) {
  JsonWriter w(-1);
  w.Reserve(1 << 12);
  w.BeginArray();
  w.CountValue();
  {
    JsonWriter::Run run(w, 1);
    run.String("longer than the bound");
    run.Int(123456789);
  }
  w.EndArray();
  EXPECT_EQ(w.view(), "[\"longer than the bound\"123456789]");
}
#endif

TEST(JsonWriter, FlushesIntoAString) {
  std::string out = "prefix:";
  {
    JsonWriter w(out, -1);
    w.StringArray({"a"});
  }
  EXPECT_EQ(out, "prefix:[\"a\"]");
}

TEST(JsonWriter, StreamsThroughASmallBufferIntoASink) {
  // A document several times the sink buffer (256 KiB), with pieces that
  // straddle flushes and one string bigger than the buffer itself.
  ojson doc = ojson::array();
  for (int i = 0; i < 20000; ++i) {
    doc.push_back({{"name", "blocks." + std::to_string(i) + ".weight"}, {"shape", {i, 4}}});
  }
  doc.push_back(std::string(600 << 10, 'x'));
  std::ostringstream sink;
  {
    JsonWriter w(sink, 2);
    w.BeginArray();
    for (int i = 0; i < 20000; ++i) {
      w.BeginObject();
      w.Member("name", "blocks." + std::to_string(i) + ".weight");
      w.LiteralKey("shape");
      w.IntArray({i, 4});
      w.EndObject();
      if (i == 10000) {
        EXPECT_LT(w.view().size(), size_t{256} << 10) << "the buffer is flushed as it fills";
      }
    }
    w.String(std::string(600 << 10, 'x'));
    w.EndArray();
    w.Finish();
    EXPECT_TRUE(w.view().empty());
  }
  EXPECT_EQ(sink.str(), Dump(doc));
}

}  // namespace
}  // namespace ptlint
