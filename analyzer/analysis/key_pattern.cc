#include "analyzer/analysis/key_pattern.h"

namespace ptlint {

namespace {

// The next component of `s` from `pos`; advances `pos` past its dot, or to
// npos after the last component.
std::string_view NextComponent(std::string_view s, size_t& pos) {
  size_t dot = s.find('.', pos);
  std::string_view c = s.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
  pos = dot == std::string_view::npos ? std::string_view::npos : dot + 1;
  return c;
}

}  // namespace

bool KeyComponentMatches(std::string_view p, std::string_view s) {
  // Iterative glob with `*` only: on a mismatch, let the last `*` take one
  // more character.
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool KeyPatternMatches(std::string_view pattern, std::string_view key) {
  if (pattern.find('*') == std::string_view::npos) return pattern == key;
  size_t p = 0, k = 0;
  while (p != std::string_view::npos && k != std::string_view::npos) {
    if (!KeyComponentMatches(NextComponent(pattern, p), NextComponent(key, k))) return false;
  }
  return p == std::string_view::npos && k == std::string_view::npos;
}

bool OpenPrefixCovers(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return true;
  // "a.b." is the subtree strictly under a.b; "a.b" is a.b itself and below.
  const bool strictly_under = prefix.back() == '.';
  if (strictly_under) prefix.remove_suffix(1);
  size_t p = 0, k = 0;
  while (p != std::string_view::npos) {
    if (k == std::string_view::npos) return false;  // key shorter than the prefix
    if (!KeyComponentMatches(NextComponent(prefix, p), NextComponent(key, k))) return false;
  }
  return !strictly_under || k != std::string_view::npos;
}

}  // namespace ptlint
