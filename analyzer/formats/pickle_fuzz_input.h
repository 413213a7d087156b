// Deep inputs for the pickle fuzz targets (pickle_machine_fuzz,
// pickle_machine_differential_fuzz, analysis/pickle_safety_fuzz).
//
// libFuzzer mutates small inputs, but the attacks that matter for recursion
// are a megabyte of nesting (10^6 TUPLE1, ']'...'a', ')R'...). An input that
// starts with "DEEP" is a recipe instead of a pickle:
//
//   "DEEP" count:u24le head_len:u8 head unit_len:u8 unit tail
//
// and stands for head + unit * count + tail (count capped so the result
// stays under 4 MiB). Seeds in tests/fuzz/*/deep_*.recipe start at 10^6; the
// fuzzer mutates the recipe, and so the shape of the nesting.
#ifndef PTLINT_ANALYZER_FORMATS_PICKLE_FUZZ_INPUT_H_
#define PTLINT_ANALYZER_FORMATS_PICKLE_FUZZ_INPUT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ptlint {

// The pickle an input stands for: the input itself, or its expanded recipe.
inline std::string ExpandPickleFuzzInput(std::string_view in) {
  constexpr size_t kMaxExpanded = 4u << 20;
  if (in.size() < 9 || in.substr(0, 4) != "DEEP") return std::string(in);
  size_t count = static_cast<uint8_t>(in[4]) | (static_cast<uint8_t>(in[5]) << 8) |
                 (static_cast<size_t>(static_cast<uint8_t>(in[6])) << 16);
  size_t pos = 7;
  size_t head_len = static_cast<uint8_t>(in[pos++]);
  if (in.size() < pos + head_len + 1) return std::string(in);
  std::string_view head = in.substr(pos, head_len);
  pos += head_len;
  size_t unit_len = static_cast<uint8_t>(in[pos++]);
  if (in.size() < pos + unit_len) return std::string(in);
  std::string_view unit = in.substr(pos, unit_len);
  std::string_view tail = in.substr(pos + unit_len);
  if (unit.empty()) count = 0;
  if (!unit.empty() && count > kMaxExpanded / unit.size()) count = kMaxExpanded / unit.size();
  std::string out;
  out.reserve(head.size() + unit.size() * count + tail.size());
  out += head;
  for (size_t i = 0; i < count; ++i) out += unit;
  out += tail;
  return out;
}

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_PICKLE_FUZZ_INPUT_H_
