// A rewrite of a state dict's keys written on the load path, between
// torch.load and load_state_dict: the dict comprehensions ptlint's own quick
// fixes insert, and the same shapes written by hand.
//
//   {re.sub(r"^layers\.(\d+)\.attn\.", r"layers.\g<1>.attention.", k): v for k, v in sd.items()}
//   {("encoder." + k[4:] if k.startswith("enc.") else k): v for k, v in sd.items()}
//   {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}
//   {k.removeprefix("module."): v for k, v in sd.items()}
//   {k.replace("module.", ""): v for k, v in sd.items()}
//   {k[len("module."):]: v for k, v in sd.items()}
//   {"backbone." + k: v for k, v in sd.items()}
//   {k: v for k, v in sd.items() if not k.startswith("head.")}
//
// When ptlint re-runs on a project its fix changed, the checkpoint is judged
// as load_state_dict receives it: its keys rewritten. A comprehension of any
// other shape is not understood, and the load site is then not followed (the
// checkpoint's keys are not what load_state_dict sees, so nothing is said
// about them from that site).
#ifndef PTLINT_ANALYZER_PYTHON_LOAD_KEY_REWRITE_H_
#define PTLINT_ANALYZER_PYTHON_LOAD_KEY_REWRITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ptlint {

struct CompiledKeyRegex;  // std::regex, kept out of every includer

struct LoadKeyRewrite {
  enum class Kind {
    kIdentity,  // `k`
    kPrefix,    // keys starting with `from` start with `to` instead ("" from: every key gains `to`)
    kRegex,     // re.sub(pattern, replacement, k)
    kDropChars,  // k[drop_chars:], on every key
    kReplace,    // k.replace(from, to[, replace_count]): every (or the first N) occurrence, anywhere in the key
    // The dict is changed in place by code ptlint does not follow (`sd.pop(k)`
    // in a loop, `sd[new] = ...`, `del sd[k]`, consume_prefix_in_state_dict_if_present
    // with a computed prefix): what load_state_dict receives is not known.
    kUnfollowed,
  };
  Kind kind = Kind::kIdentity;
  std::string from, to;
  std::string pattern, replacement;  // Python's spelling, as written
  size_t drop_chars = 0;             // kDropChars
  int64_t replace_count = -1;        // kReplace: Python's count (-1: every occurrence)
  // The comprehension's `if` clause: only keys that start (or, negated, do
  // not start) with `filter_prefix` are kept.
  bool has_filter = false;
  bool keep_if_starts = true;
  std::string filter_prefix;

  // kUnfollowed: what changes it, for the binding note ("`sd.pop(...)` at load.py:8").
  std::string unfollowed_what;
  // In-place rewrites (consume_prefix_in_state_dict_if_present) keep the
  // state dict's `_metadata`; a comprehension or a loop into a new dict does not.
  bool keeps_metadata = false;
  // Recorded on a wrapper dict for one of its entries (`consume_prefix_in_
  // state_dict_if_present(ckpt["model"], ...)`, `ckpt.pop("optimizer")`): the
  // entry's key, at `entry_depth` subscripts below the torch.load result.
  // Subscripting that entry makes it the rewrite of the entry's own keys;
  // another entry does not see it. Empty: the dict the rewrite was applied to.
  std::string entry;
  size_t entry_depth = 0;

  // The key as load_state_dict receives it; nullopt when the comprehension drops it.
  std::optional<std::string> Apply(const std::string& key) const;

  // The ECMAScript translation of `pattern`/`replacement` (kRegex), compiled
  // by MakeRegexRewrite.
  std::shared_ptr<const CompiledKeyRegex> compiled;
  std::string ecma_replacement;
};

// A kRegex rewrite of Python `re.sub(pattern, replacement, k)`, or nullopt when
// the pattern uses what ECMAScript reads differently (named groups,
// look-behind, inline flags, \A \Z, ...) or does not compile: ptlint does not
// guess what such a rewrite does.
std::optional<LoadKeyRewrite> MakeRegexRewrite(const std::string& pattern, const std::string& replacement);

// Python's regex metacharacters escaped (a key prefix as a pattern).
std::string PythonRegexEscape(const std::string& literal);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_LOAD_KEY_REWRITE_H_
