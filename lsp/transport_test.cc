// FrameReader: Content-Length framing that survives a client's mistakes.
#include "lsp/transport.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ptlint::lsp {
namespace {

using RR = Transport::ReadResult;

// Every Read until EOF: "M:<body>" for messages, "B" for bad frames.
std::vector<std::string> ReadAll(const std::string& wire, size_t max_body = kMaxMessageBytes) {
  size_t at = 0;
  // A source that hands out at most 7 bytes a call, so frames straddle reads.
  FrameReader reader(
      [&](char* buffer, size_t n) {
        size_t k = std::min<size_t>({n, 7, wire.size() - at});
        std::copy(wire.data() + at, wire.data() + at + k, buffer);
        at += k;
        return k;
      },
      max_body);
  std::vector<std::string> out;
  std::string body;
  while (true) {
    RR r = reader.Read(&body);
    if (r == RR::kEof) break;
    out.push_back(r == RR::kMessage ? "M:" + body : "B");
  }
  return out;
}

const std::string kGood = Frame(R"({"id":1})");

TEST(FrameReader, WellFormedFramesAndOtherHeaders) {
  EXPECT_EQ(ReadAll(kGood + "\r\n" + "Content-Type: x\r\ncontent-length: 8\r\n\r\n{\"id\":2}"),
            (std::vector<std::string>{"M:{\"id\":1}", "M:{\"id\":2}"}));
}

TEST(FrameReader, ResynchronisesAfterAWrongContentLength) {
  const std::string body = R"({"id":0,"method":"x"})";
  auto with = [&](const std::string& header) { return header + "\r\n\r\n" + body + kGood; };
  for (const std::string& header :
       {"Content-Length: forty", "Content-Length: -21", "Content-Length: 12abc", "Content-Type: text/plain"}) {
    auto got = ReadAll(with(header));
    EXPECT_EQ(got, (std::vector<std::string>{"B", "M:{\"id\":1}"})) << header;
  }
  // Too long: the next header inside the declared body ends it there.
  EXPECT_EQ(ReadAll(with("Content-Length: " + std::to_string(body.size() + 30))),
            (std::vector<std::string>{"B", "M:{\"id\":1}"}));
  // Too short: the truncated body goes up (the server answers -32700), the
  // rest is skipped up to the next header.
  auto shorter = ReadAll(with("Content-Length: " + std::to_string(body.size() - 5)));
  ASSERT_GE(shorter.size(), 2u);
  EXPECT_EQ(shorter.front(), "M:" + body.substr(0, body.size() - 5));
  EXPECT_EQ(shorter.back(), "M:{\"id\":1}");
}

TEST(FrameReader, AHugeLengthDoesNotSwallowTheSession) {
  EXPECT_EQ(ReadAll("Content-Length: 99999999999999\r\n\r\n{\"id\":0}" + kGood),
            (std::vector<std::string>{"B", "M:{\"id\":1}"}));
  // A real over-limit body is skipped exactly, then reading goes on.
  std::string big = "{\"x\":\"" + std::string(100, 'a') + "\"}";
  EXPECT_EQ(ReadAll(Frame(big) + kGood, /*max_body=*/64), (std::vector<std::string>{"B", "M:{\"id\":1}"}));
}

TEST(FrameReader, GarbageBetweenMessages) {
  EXPECT_EQ(ReadAll("hello there\r\n\r\n" + kGood), (std::vector<std::string>{"B", "M:{\"id\":1}"}));
}

TEST(StreamTransport, UntiesItsInput) {
  std::istringstream in(kGood);
  std::ostringstream out;
  in.tie(&out);
  StreamTransport t(in, out);
  EXPECT_EQ(in.tie(), nullptr);
  std::string body;
  EXPECT_EQ(t.Read(&body), RR::kMessage);
  EXPECT_EQ(body, R"({"id":1})");
}

}  // namespace
}  // namespace ptlint::lsp
