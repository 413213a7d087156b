// SniffBytes: what the first bytes of a file say it is.
#include "analyzer/checkpoint/container_reader.h"
#include "analyzer/formats/tar_reader.h"


namespace ptlint {

using namespace container_reader;

namespace {

// Valid UTF-8 without NUL and with few control characters.
bool LooksLikeUtf8Text(std::string_view s) {
  size_t i = 0, controls = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++controls;
      ++i;
      continue;
    }
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0) return false;
    if (i + len > s.size()) return i + 4 > s.size();  // cut mid-sequence at the sniff edge
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return controls * 20 <= s.size();
}

bool LooksLikePythonSource(std::string_view s) {
  size_t pos = 0;
  int lines = 0;
  while (pos < s.size() && lines < 400) {
    size_t end = s.find('\n', pos);
    std::string_view line = s.substr(pos, end == std::string_view::npos ? s.size() - pos : end - pos);
    ++lines;
    if (StartsWith(line, "import ") || StartsWith(line, "from ") || StartsWith(line, "def ") ||
        StartsWith(line, "class ") || StartsWith(line, "async def ") ||
        StartsWith(line, "#!/usr/bin/env python") || StartsWith(line, "if __name__")) {
      // "from x import y" must have the import keyword to count.
      if (!StartsWith(line, "from ") || line.find(" import ") != std::string_view::npos) return true;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

bool IEqualsPrefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower_prefix[i]) return false;
  }
  return true;
}

// Protocol 0/1 pickles have no PROTO header; we call them pickles only if the
// machine gets through the bytes we have without a non-truncation error.
bool ParsesAsPickle(std::string_view head) {
  if (head.empty() || !IsPickleOpcode(static_cast<uint8_t>(head[0]))) return false;
  // The opcode cap bounds the work; no tight wall-clock budget, so a file is
  // classified the same way on a loaded machine as on an idle one.
  PickleLimits limits;
  limits.max_opcodes = 100000;
  PickleGraph graph = PickleMachine(limits).Run(head, 0);
  if (graph.complete()) return true;
  // A GLOBAL whose operands are Python dotted names ("builtins\nexec\n") is a
  // pickle even when the rest is broken: security scanning must see it, and
  // text almost never has an identifier line after a leading 'c'.
  auto dotted_identifier = [](std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    bool start = true;
    for (char c : s) {
      bool alpha = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
      bool digit = std::isdigit(static_cast<unsigned char>(c));
      if (c == '.') {
        if (start) return false;
        start = true;
        continue;
      }
      if (!(alpha || (digit && !start))) return false;
      start = false;
    }
    return !start;
  };
  for (const GlobalRef& g : graph.globals) {
    if (dotted_identifier(g.module) && dotted_identifier(g.name)) return true;
  }
  if (!graph.error) return false;
  // A prefix ran cleanly and stopped only because the sniff window ended.
  bool ran_out = graph.error->code.find("truncat") != std::string::npos ||
                 graph.error->code.find("eof") != std::string::npos;
  return ran_out && graph.opcode_count >= 2 && head.size() >= kSniffBytes;
}

}  // namespace

namespace {

Sniff SniffImpl(std::string_view head, uint64_t file_size, bool tar);

}  // namespace

Sniff SniffBytes(std::string_view head, uint64_t file_size) {
  return SniffImpl(head, file_size, true);
}

namespace container_reader {
Sniff SniffBytesIgnoringTar(std::string_view head, uint64_t file_size) {
  return SniffImpl(head, file_size, false);
}
}  // namespace container_reader

namespace {

Sniff SniffImpl(std::string_view head, uint64_t file_size, bool tar) {
  if (file_size == 0 || head.empty()) return Sniff::kEmpty;
  if (head.size() >= 4 && (StartsWith(head, std::string_view("PK\x03\x04", 4)) ||
                           StartsWith(head, std::string_view("PK\x05\x06", 4)))) {
    return Sniff::kZip;
  }
  // What tarfile accepts (a valid checksum, no magic needed) comes before
  // the legacy magic: torch tries tarfile first.
  if (tar && head.size() >= 512 && LooksLikeTarHeader(head.substr(0, 512))) return Sniff::kTar;
  if (StartsWith(head, kLegacyMagicPickle)) return Sniff::kLegacyPickle;
  if (tar && head.size() >= 262 && head.substr(257, 5) == "ustar") return Sniff::kTar;
  if (StartsWith(head, kLfsPrefix)) return Sniff::kLfsPointer;
  if (head.size() >= 9) {
    uint64_t n = ReadLe(head, 8);
    if (n >= 2 && n <= file_size - 8 && file_size >= 8 && head[8] == '{') return Sniff::kSafetensors;
  }
  uint8_t b0 = static_cast<uint8_t>(head[0]);
  if (b0 == 0x80 && head.size() >= 2 && static_cast<uint8_t>(head[1]) <= 5) return Sniff::kPickle;
  // Text-ish formats: skip a BOM and leading whitespace.
  std::string_view text = head;
  if (StartsWith(text, "\xef\xbb\xbf")) text.remove_prefix(3);
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  std::string_view body = text.substr(first);
  if (!body.empty() && body[0] == '<' &&
      (IEqualsPrefix(body, "<!doctype") || IEqualsPrefix(body, "<html") ||
       IEqualsPrefix(body, "<head") || IEqualsPrefix(body, "<?xml") || IEqualsPrefix(body, "<!--") ||
       IEqualsPrefix(body, "<body") || IEqualsPrefix(body, "<meta") || IEqualsPrefix(body, "<title") ||
       (body.size() > 1 && std::isalpha(static_cast<unsigned char>(body[1]))))) {
    return Sniff::kHtml;
  }
  if (!body.empty() && body[0] == '{' && head.find("\"weight_map\"") != std::string_view::npos) {
    return Sniff::kShardedIndexJson;
  }
  bool utf8 = LooksLikeUtf8Text(head);
  if (utf8 && LooksLikePythonSource(head)) return Sniff::kPythonSource;
  if (ParsesAsPickle(head)) return Sniff::kPickle;
  if (utf8) return Sniff::kText;
  return Sniff::kUnknownBinary;
}

}  // namespace

const char* SniffName(Sniff sniff) {
  switch (sniff) {
    case Sniff::kZip: return "zip";
    case Sniff::kLegacyPickle: return "legacy-pickle";
    case Sniff::kPickle: return "pickle";
    case Sniff::kTar: return "tar";
    case Sniff::kSafetensors: return "safetensors";
    case Sniff::kShardedIndexJson: return "sharded-index-json";
    case Sniff::kLfsPointer: return "lfs-pointer";
    case Sniff::kHtml: return "html";
    case Sniff::kEmpty: return "empty";
    case Sniff::kPythonSource: return "python-source";
    case Sniff::kText: return "text";
    case Sniff::kUnknownBinary: return "unknown-binary";
  }
  return "unknown";
}

}  // namespace ptlint
