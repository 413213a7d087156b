#include "render/text_escape.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(TextEscape, ValidUtf8KeepsTextAndSpellsOutBadBytes) {
  EXPECT_EQ(ValidUtf8("h\xc3\xa9 \xf0\x9f\x98\x80"), "h\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xff" "b"), "a\\xFFb");
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "\\xC0\\xAF");          // overlong '/'
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(ValidUtf8("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(ValidUtf8("x\xe2\x82"), "x\\xE2\\x82");         // truncated
  EXPECT_EQ(ValidUtf8(std::string("\0\x1b", 2)), std::string("\0\x1b", 2));
}

TEST(TextEscape, DisplayTextLetsNoControlThrough) {
  EXPECT_EQ(DisplayText(std::string("a\0b\x1b[2J\x7f\tc", 10)), "a\\x00b\\x1B[2J\\x7F\tc");
  EXPECT_EQ(DisplayText("one\ntwo\r"), "one\\x0Atwo\\x0D");
  EXPECT_EQ(DisplayText("one\ntwo", true), "one\ntwo");
  EXPECT_EQ(DisplayText("\xc2\x9b" "1m \xc3\xa9"), "\\u009B1m \xc3\xa9");  // C1 CSI
}

TEST(TextEscape, XmlTextIsWellFormed) {
  EXPECT_EQ(XmlText("<a href=\"x\">&'\n", true), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;");
  EXPECT_EQ(XmlText("a\nb\x01", false), "a\nb\\x01");
  EXPECT_EQ(XmlText("\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbd", false), "\\uFFFE\\uFFFF\xef\xbf\xbd");
}

TEST(TextEscape, Utf16AndCharacterColumns) {
  const std::string line = "x = \"h\xc3\xa9\xf0\x9f\x98\x80\"; f()";  // é: 2 bytes, 1 unit; 😀: 4 bytes, 2 units
  size_t f = line.find("f()") + 1;                                      // byte column 1-based
  EXPECT_EQ(Utf16Column(line, static_cast<int>(f)), static_cast<int>(f) - 1 - 2);
  EXPECT_EQ(CharacterColumn(line, static_cast<int>(f)), static_cast<int>(f) - 1 - 3);
  EXPECT_EQ(Utf16Column(line, 1), 1);
  EXPECT_EQ(Utf16Column("ab", 5), 5);   // past the end: one unit a byte
  EXPECT_EQ(Utf16Column("\xc3\xa9z", 2), 1);  // inside é: é's start
  EXPECT_EQ(Utf16Column("\xffz", 2), 2);       // an invalid byte counts one
}

}  // namespace
}  // namespace ptlint
