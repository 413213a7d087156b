#include "lsp/protocol.h"

#include <gtest/gtest.h>

namespace ptlint::lsp {
namespace {

TEST(Protocol, UriRoundTripsWithPercentEncoding) {
  std::string path = "/tmp/my project/ü#1.py";
  std::string uri = UriFromPath(path);
  EXPECT_EQ(uri, "file:///tmp/my%20project/%C3%BC%231.py");
  EXPECT_EQ(PathFromUri(uri), path);
  EXPECT_EQ(PathFromUri("file:///a/b%3Ac.py"), "/a/b:c.py");
  EXPECT_EQ(PathFromUri("FILE://localhost/x.py"), "/x.py");
  EXPECT_FALSE(PathFromUri("https://example.invalid/x.py"));
  EXPECT_FALSE(PathFromUri("file:///bad%zz"));
  EXPECT_FALSE(PathFromUri("file:///nul%00"));
}

TEST(Protocol, Utf16AndUtf8Columns) {
  std::string line = "a\xC3\xA9\xF0\x9F\x98\x80z";  // a é 😀 z
  EXPECT_EQ(ByteColumn(line, 0, PositionEncoding::kUtf16), 0u);
  EXPECT_EQ(ByteColumn(line, 2, PositionEncoding::kUtf16), 3u);   // after é
  EXPECT_EQ(ByteColumn(line, 4, PositionEncoding::kUtf16), 7u);   // after the surrogate pair
  EXPECT_EQ(ByteColumn(line, 3, PositionEncoding::kUtf16), 3u);   // inside the pair: its start
  EXPECT_EQ(ByteColumn(line, 99, PositionEncoding::kUtf16), line.size());
  EXPECT_EQ(CharacterOf(line, 7, PositionEncoding::kUtf16), 4u);
  EXPECT_EQ(CharacterOf(line, 8, PositionEncoding::kUtf16), 5u);
  EXPECT_EQ(ByteColumn(line, 2, PositionEncoding::kUtf8), 1u);    // mid-sequence snaps back
  EXPECT_EQ(CharacterOf(line, 7, PositionEncoding::kUtf8), 7u);
}

TEST(Protocol, LinesAndOffsets) {
  std::string text = "ab\r\ncd\nef";
  EXPECT_EQ(LineOf(text, 0), "ab");
  EXPECT_EQ(LineOf(text, 2), "ef");
  EXPECT_EQ(LineOf(text, 3), "");
  EXPECT_EQ(OffsetOf(text, 1, 1), 5u);
  EXPECT_EQ(OffsetOf(text, 1, 99), 6u);
  EXPECT_EQ(OffsetOf(text, 9, 0), text.size());
}

TEST(Protocol, DiagnosticJson) {
  Diagnostic d;
  d.code = "PTL204";
  d.message = "renamed";
  d.fix = "rename it";
  d.location = {"/p/m.py", 2, 5, 2, 9};
  d.related.push_back({{"/p/c.pt", 0, 0, 0, 0}, "the checkpoint"});
  DiagnosticContext ctx;
  ctx.line_text = [](const std::string&, int) { return std::optional<std::string>("    self.x = 1"); };
  nlohmann::json j = ToLspDiagnostic(d, ctx);
  EXPECT_EQ(j["code"], "PTL204");
  EXPECT_EQ(j["source"], "ptlint");
  EXPECT_EQ(j["severity"], 1);
  EXPECT_EQ(j["range"]["start"]["line"], 1);
  EXPECT_EQ(j["range"]["start"]["character"], 4);
  EXPECT_EQ(j["range"]["end"]["character"], 8);
  EXPECT_EQ(j["message"], "renamed\nFix: rename it");
  EXPECT_NE(j["codeDescription"]["href"].get<std::string>().find("ptl204"), std::string::npos);
  EXPECT_EQ(j["relatedInformation"][0]["location"]["uri"], "file:///p/c.pt");
}

}  // namespace
}  // namespace ptlint::lsp
