#include "analyzer/python/load_key_rewrite.h"

#include <cctype>
#include <regex>

namespace ptlint {

struct CompiledKeyRegex {
  std::regex regex;
};

std::optional<std::string> LoadKeyRewrite::Apply(const std::string& key) const {
  if (has_filter && (key.rfind(filter_prefix, 0) == 0) != keep_if_starts) return std::nullopt;
  switch (kind) {
    case Kind::kIdentity:
    case Kind::kUnfollowed:  // never applied: the link leaves such a load unjudged
      return key;
    case Kind::kPrefix:
      if (key.rfind(from, 0) != 0) return key;
      return to + key.substr(from.size());
    case Kind::kDropChars:
      return key.size() <= drop_chars ? std::string() : key.substr(drop_chars);
    case Kind::kReplace: {
      // Python's str.replace: left to right, occurrences do not overlap.
      if (from.empty()) return key;  // never made (see the extractor): Python inserts between characters
      std::string out;
      size_t at = 0;
      int64_t done = 0;
      for (size_t hit = key.find(from); hit != std::string::npos && (replace_count < 0 || done < replace_count);
           hit = key.find(from, at)) {
        out.append(key, at, hit - at);
        out += to;
        at = hit + from.size();
        ++done;
      }
      out.append(key, at, std::string::npos);
      return out;
    }
    case Kind::kRegex:
      if (!compiled) return key;
      return std::regex_replace(key, compiled->regex, ecma_replacement);
  }
  return key;
}

namespace {

// The subset of Python's `re` syntax that means the same in ECMAScript:
// literals, escapes of punctuation, \d \w \s (and capitals), classes,
// groups (plain and `(?:`), alternation, anchors ^ $, quantifiers.
bool PortablePattern(const std::string& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return false;
      char n = p[++i];
      if (std::isalnum(static_cast<unsigned char>(n)) && std::string("dDwWsS").find(n) == std::string::npos) {
        return false;  // \A \Z \b \1 \g ... : spelled or meant differently
      }
      continue;
    }
    if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      if (i + 2 < p.size() && p[i + 2] == ':') continue;
      return false;  // named groups, look-arounds, inline flags
    }
  }
  return true;
}

}  // namespace

std::optional<LoadKeyRewrite> MakeRegexRewrite(const std::string& pattern, const std::string& replacement) {
  if (!PortablePattern(pattern)) return std::nullopt;
  // Python's replacement: \g<N>, \N for groups, other backslash escapes
  // (\n, \\). ECMAScript's: $N, $$ for a dollar.
  std::string ecma;
  for (size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c == '$') {
      ecma += "$$";
    } else if (c != '\\') {
      ecma += c;
    } else if (i + 1 < replacement.size() && std::isdigit(static_cast<unsigned char>(replacement[i + 1]))) {
      ecma += "$0";  // two digits: a digit after it stays a literal
      ecma += replacement[++i];
    } else if (replacement.compare(i, 3, "\\g<") == 0) {
      size_t close = replacement.find('>', i);
      if (close == std::string::npos) return std::nullopt;
      std::string group = replacement.substr(i + 3, close - i - 3);
      if (group.empty() || group.size() > 2 ||
          group.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;  // a named group
      }
      ecma += "$" + (group.size() == 1 ? "0" + group : group);
      i = close;
    } else if (i + 1 < replacement.size() && replacement[i + 1] == '\\') {
      ecma += '\\';
      ++i;
    } else {
      return std::nullopt;  // \n and friends: not in a key
    }
  }
  LoadKeyRewrite r;
  r.kind = LoadKeyRewrite::Kind::kRegex;
  r.pattern = pattern;
  r.replacement = replacement;
  r.ecma_replacement = ecma;
  try {
    r.compiled = std::make_shared<const CompiledKeyRegex>(CompiledKeyRegex{std::regex(pattern, std::regex::ECMAScript)});
  } catch (const std::regex_error&) {
    return std::nullopt;
  }
  return r;
}

std::string PythonRegexEscape(const std::string& literal) {
  std::string out;
  for (char c : literal) {
    if (std::string(".^$*+?{}[]\\|()").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace ptlint
