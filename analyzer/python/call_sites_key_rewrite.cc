// Call-site extraction, key rewrites (see load_key_rewrite.h): which dict
// comprehensions on a loaded state dict ptlint understands. Each shape is
// matched whole; anything else in it (a second `for`, a value other than
// `v`, a condition other than k.startswith) means "not understood".
#include <algorithm>
#include <cctype>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

namespace {

TSNode Unparenthesized(TSNode n) {
  while (!ts_node_is_null(n) && IsType(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1) {
    n = ts_node_named_child(n, 0);
  }
  return n;
}

std::string WithoutSpaces(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; }), s.end());
  return s;
}

}  // namespace

std::optional<LoadKeyRewrite> Extractor::KeyRewriteOf(TSNode comprehension, TSNode* iterable) {
  // {KEY: v for k, v in X.items() [if COND]}
  TSNode pair{}, for_in{}, if_clause{};
  uint32_t n = ts_node_named_child_count(comprehension);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(comprehension, i);
    if (IsType(c, "comment")) continue;
    TSNode* slot = IsType(c, "pair") ? &pair : IsType(c, "for_in_clause") ? &for_in : IsType(c, "if_clause") ? &if_clause : nullptr;
    if (slot == nullptr || !ts_node_is_null(*slot)) return std::nullopt;  // an unknown part, or a second one
    *slot = c;
  }
  if (ts_node_is_null(pair) || ts_node_is_null(for_in)) return std::nullopt;
  TSNode left = Field(for_in, "left");
  TSNode right = Field(for_in, "right");
  if (IsNull(left) || IsNull(right) || ts_node_named_child_count(left) != 2) return std::nullopt;
  TSNode k_node = ts_node_named_child(left, 0), v_node = ts_node_named_child(left, 1);
  if (!IsType(k_node, "identifier") || !IsType(v_node, "identifier")) return std::nullopt;
  const std::string k = Text(k_node), v = Text(v_node);
  if (WithoutSpaces(Text(Field(pair, "value"))) != v) return std::nullopt;
  // X.items()
  right = Unparenthesized(right);
  if (!IsType(right, "call")) return std::nullopt;
  TSNode items = Field(right, "function");
  TSNode items_args = Field(right, "arguments");
  if (IsNull(items) || !IsType(items, "attribute") || Text(Field(items, "attribute")) != "items" ||
      IsNull(items_args) || ts_node_named_child_count(items_args) != 0) {
    return std::nullopt;
  }
  *iterable = Field(items, "object");

  auto string_arg = [&](TSNode s, std::string* out) {
    return !IsNull(s) && StringLiteralValue(file_.parsed, Unparenthesized(s), out);
  };
  // `k.METHOD("literal")` -> the literal.
  auto k_method = [&](TSNode call, const char* method, std::string* literal) {
    call = Unparenthesized(call);
    if (IsNull(call) || !IsType(call, "call")) return false;
    TSNode f = Field(call, "function");
    if (IsNull(f) || !IsType(f, "attribute") || Text(Field(f, "object")) != k ||
        Text(Field(f, "attribute")) != method) {
      return false;
    }
    Args a = SplitArgs(Field(call, "arguments"));
    return a.positional.size() == 1 && a.keywords.empty() && string_arg(a.positional[0], literal);
  };
  auto is_k = [&](TSNode e) { return WithoutSpaces(Text(Unparenthesized(e))) == k; };
  // `k[N:]` or `k[len("literal"):]` -> N (the characters every key loses).
  auto k_slice = [&](TSNode e, size_t* skip) {
    e = Unparenthesized(e);
    if (IsNull(e) || !IsType(e, "subscript") || !is_k(Field(e, "value"))) return false;
    TSNode slice = Field(e, "subscript");
    if (IsNull(slice) || !IsType(slice, "slice") || ts_node_named_child_count(slice) != 1) return false;
    TSNode start = ts_node_named_child(slice, 0);
    if (WithoutSpaces(Text(slice)) != WithoutSpaces(Text(start)) + ":") return false;  // `k[:N]`, `k[a:b]`
    if (IsType(start, "integer")) {
      const std::string digits = Text(start);
      if (digits.empty() || digits.size() > 6 ||
          !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        return false;
      }
      *skip = std::stoul(digits);
      return true;
    }
    if (!IsType(start, "call") || Text(Field(start, "function")) != "len") return false;
    Args a = SplitArgs(Field(start, "arguments"));
    std::string literal;
    if (a.positional.size() != 1 || !a.keywords.empty() || !string_arg(a.positional[0], &literal)) return false;
    // Python's len counts code points; only ASCII makes that the byte count.
    if (!std::all_of(literal.begin(), literal.end(), [](unsigned char c) { return c < 0x80; })) return false;
    *skip = literal.size();
    return true;
  };
  auto k_after = [&](TSNode e, size_t skip) {
    size_t n = 0;
    return k_slice(e, &n) && n == skip;
  };

  LoadKeyRewrite rewrite;
  TSNode key = Unparenthesized(Field(pair, "key"));
  std::string a_literal, b_literal;
  if (is_k(key)) {
    rewrite.kind = LoadKeyRewrite::Kind::kIdentity;
  } else if (IsType(key, "call") && WithoutSpaces(Text(Field(key, "function"))) == "re.sub") {
    Args a = SplitArgs(Field(key, "arguments"));
    if (a.positional.size() != 3 || !a.keywords.empty() || !string_arg(a.positional[0], &a_literal) ||
        !string_arg(a.positional[1], &b_literal) || !is_k(a.positional[2])) {
      return std::nullopt;
    }
    auto regex = MakeRegexRewrite(a_literal, b_literal);
    if (!regex) return std::nullopt;
    rewrite = std::move(*regex);
  } else if (size_t skip = 0; k_slice(key, &skip)) {
    // {k[len("module."):]: v ...}: every key loses its first characters,
    // whatever they are (Python's slice; a key shorter than that becomes "").
    rewrite.kind = LoadKeyRewrite::Kind::kDropChars;
    rewrite.drop_chars = skip;
  } else if (k_method(key, "removeprefix", &a_literal)) {
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;
    rewrite.from = a_literal;
  } else if (IsType(key, "binary_operator") && Text(Field(key, "operator")) == "+" &&
             string_arg(Field(key, "left"), &a_literal) && is_k(Field(key, "right"))) {
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;  // "backbone." + k
    rewrite.to = a_literal;
  } else if (IsType(key, "conditional_expression") && ts_node_named_child_count(key) == 3) {
    // (NEW + k[len(OLD):] if k.startswith(OLD) else k)
    TSNode then = Unparenthesized(ts_node_named_child(key, 0));
    TSNode cond = ts_node_named_child(key, 1);
    TSNode otherwise = ts_node_named_child(key, 2);
    if (!is_k(otherwise) || !k_method(cond, "startswith", &a_literal)) return std::nullopt;
    rewrite.kind = LoadKeyRewrite::Kind::kPrefix;
    rewrite.from = a_literal;
    if (k_after(then, a_literal.size())) {
      rewrite.to = "";
    } else if (IsType(then, "binary_operator") && Text(Field(then, "operator")) == "+" &&
               string_arg(Field(then, "left"), &b_literal) && k_after(Field(then, "right"), a_literal.size())) {
      rewrite.to = b_literal;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (!ts_node_is_null(if_clause)) {
    if (ts_node_named_child_count(if_clause) != 1) return std::nullopt;
    TSNode cond = Unparenthesized(ts_node_named_child(if_clause, 0));
    rewrite.has_filter = true;
    rewrite.keep_if_starts = true;
    if (IsType(cond, "not_operator")) {
      rewrite.keep_if_starts = false;
      cond = Field(cond, "argument");
    }
    if (!k_method(cond, "startswith", &rewrite.filter_prefix)) return std::nullopt;
  }
  return rewrite;
}

}  // namespace call_site_extraction
}  // namespace ptlint
