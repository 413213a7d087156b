#include "analyzer/analysis/key_pattern.h"

#include <algorithm>

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
  // Structural scoring tries each of a candidate's patterns on every key it
  // does not name: most differ in their last component (weight / bias /
  // running_mean) or in their number of components, which is checked first.
  const size_t pattern_last = pattern.rfind('.');
  const std::string_view last = pattern_last == std::string_view::npos ? pattern : pattern.substr(pattern_last + 1);
  if (last.find('*') == std::string_view::npos) {
    if (key.size() < last.size() || key.substr(key.size() - last.size()) != last) return false;
    if (pattern_last != std::string_view::npos &&
        (key.size() == last.size() || key[key.size() - last.size() - 1] != '.')) {
      return false;
    }
  }
  if (std::count(pattern.begin(), pattern.end(), '.') != std::count(key.begin(), key.end(), '.')) return false;
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
