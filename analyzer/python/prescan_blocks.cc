// The pre-scan's block structure (see prescan_blocks.h): Run reads the
// file a logical line at a time; each line closes or opens blocks and is
// then a compound statement's header (checked here) or simple statements
// (handed to the fact extraction).
#include "analyzer/python/prescan_blocks.h"

#include <cstdint>
#include <utility>

namespace ptlint {
namespace prescan {

bool Prescanner::Run() {
  if (n_ >= UINT32_MAX / 2) return Bail("file too large");
  // ExtractClass looks for pre-hook registrations by text over the class
  // node's bytes: the mentions' offsets, checked against each class's range.
  const std::string_view all(s_, n_);
  for (size_t at = all.find(kPreHook); at != std::string_view::npos;
       at = all.find(kPreHook, at + 1)) {
    hook_mentions_.push_back(static_cast<uint32_t>(at));
  }
  frames_.reserve(16);
  frames_.emplace_back();
  for (;;) {
    int got = lex_.NextLine();
    if (got < 0) return false;
    if (got == 0) break;
    if (!Line()) return false;
  }
  if (pending_block_) return Bail("expected an indented block at end of file");
  if (pending_decorator_) return Bail("decorator at end of file");
  while (frames_.size() > 1) {
    if (!Pop()) return false;
  }
  if (!CheckHookMentions(static_cast<uint32_t>(n_))) return false;
  if (frames_.back().prev == kPrevTry) return Bail("try without except or finally");
  for (auto& [name, entry] : assigns_) {
    file_->assignments.emplace(name, TSNode{});
    file_->assignment_shapes.emplace(name, std::move(entry.second));
  }
  file_->classes = std::move(top_);
  for (auto& c : nested_) file_->classes.push_back(std::move(c));
  return true;
}

// The `:` ending a compound statement's header, searching from `from`.
size_t Prescanner::HeaderColon(size_t from) const {
  for (size_t i = from; i < toks_.size(); ++i) {
    const Tok& t = toks_[i];
    if (t.depth != 0) continue;
    if (t.kind == kName && Text(t) == "lambda") return kNpos;
    if (t.kind == kOp && Text(t) == ":") return i;
  }
  return kNpos;
}

bool Prescanner::Pop() {
  if (frames_.back().prev == kPrevTry) return Bail("try without except or finally");
  ClassClosed(frames_.back(), prev_line_end_);
  frames_.pop_back();
  return true;
}

bool Prescanner::Line() {
  const int64_t indent = lex_.indent();
  if (pending_decorator_ && indent != decorator_indent_)
    return Bail("decorator without a definition");
  if (pending_block_) {
    if (indent <= frames_.back().indent) return Bail("expected an indented block");
    pending_.indent = indent;
    frames_.push_back(std::move(pending_));
    pending_block_ = false;
  } else {
    if (indent > frames_.back().indent) return Bail("unexpected indent");
    while (indent < frames_.back().indent) {
      if (!Pop()) return false;
    }
    if (indent != frames_.back().indent) return Bail("dedent to no enclosing level");
  }
  if (!closed_classes_.empty() && !CheckHookMentions(toks_[0].begin)) return false;
  prev_line_end_ = toks_.back().end;
  return Statement();
}

bool Prescanner::Statement() {
  const size_t fi = frames_.size() - 1;
  const Tok& t0 = toks_[0];
  const std::string_view w = t0.kind == kName ? Text(t0) : std::string_view();
  const bool clause = w == "elif" || w == "else" || w == "except" || w == "finally";
  if (frames_[fi].prev == kPrevTry && w != "except" && w != "finally") {
    return Bail("try without except or finally");
  }
  if (pending_decorator_ && !(w == "class" || w == "def" || w == "async" || IsOp(t0, "@"))) {
    return Bail("decorator without a definition");
  }
  if (IsOp(t0, "@")) {
    if (toks_.size() < 2 || Test(1, toks_.size()) != toks_.size()) return Bail("unusual decorator");
    frames_[fi].prev = kPrevNone;
    pending_decorator_ = true;
    decorator_indent_ = lex_.indent();
    return true;
  }
  if (w == "class") return ClassStatement();
  if (w == "def") return DefStatement(0);
  if (w == "async") {
    if (toks_.size() > 1 && IsWord(toks_[1], "def")) return DefStatement(1);
    if (toks_.size() > 1 && (IsWord(toks_[1], "for") || IsWord(toks_[1], "with"))) {
      if (pending_decorator_) return Bail("decorator without a definition");
      return Compound(1);
    }
    return Bail("async outside async def/for/with");
  }
  if (IsCompoundKeyword(w) || clause) return Compound(0);
  frames_[fi].prev = kPrevNone;
  return SimpleStatements(0, toks_.size());
}

// Pushes `child` for the block after the header colon at toks_[colon]: the
// next lines', or this line's simple statements.
bool Prescanner::OpenBlock(Frame child, size_t colon) {
  if (colon + 1 == toks_.size()) {
    pending_ = std::move(child);
    pending_block_ = true;
    return true;
  }
  child.indent = INT64_MAX;  // popped right after
  frames_.push_back(std::move(child));
  bool ok = SimpleStatements(colon + 1, toks_.size());
  ClassClosed(frames_.back(), toks_.back().end);
  frames_.pop_back();
  return ok;
}

bool Prescanner::Compound(size_t k) {
  const size_t fi = frames_.size() - 1;
  const std::string_view w = Text(toks_[k]);
  Frame child;
  child.kind = kOtherFrame;
  child.recorded = frames_[fi].recorded;
  child.walk = frames_[fi].walk;
  child.assign = frames_[fi].assign;
  const Prev prev = frames_[fi].prev;
  Prev next = kPrevNone;
  bool bare = false;  // the keyword is directly followed by ':'
  if (w == "elif" || w == "else" || w == "except" || w == "finally") {
    ++frames_[fi].clause;  // another clause of the same statement
  } else {
    ++frames_[fi].stmt;
    frames_[fi].clause = 0;
  }
  if (w == "if") {
    next = kPrevIf;
  } else if (w == "elif") {
    if (prev != kPrevIf) return Bail("elif without if");
    next = kPrevIf;
  } else if (w == "else") {
    bare = true;
    if (prev == kPrevIf) {
    } else if (prev == kPrevLoop) {
      child.walk = child.assign = false;
    } else if (prev == kPrevExcept) {
      next = kPrevTryElse;
    } else {
      return Bail("else without if, loop or except");
    }
  } else if (w == "try") {
    bare = true;
    next = kPrevTry;
  } else if (w == "except") {
    if (prev != kPrevTry && prev != kPrevExcept) return Bail("except without try");
    if (toks_.size() > k + 1 && toks_[k + 1].kind == kOp && Text(toks_[k + 1]) == "*") {
      return Bail("except*");
    }
    next = kPrevExcept;
  } else if (w == "finally") {
    bare = true;
    if (prev != kPrevTry && prev != kPrevExcept && prev != kPrevTryElse)
      return Bail("finally without try");
  } else if (w == "with") {
    child.assign = false;
  } else if (w == "for" || w == "while") {
    child.walk = child.assign = false;
    next = kPrevLoop;
  } else {
    return Bail("unexpected compound statement");
  }
  const size_t colon = HeaderColon(k + 1);
  if (colon == kNpos) return Bail("compound statement without a colon (or a lambda in its header)");
  if (bare != (colon == k + 1) && !(w == "except" && colon == k + 1)) {
    return Bail("malformed compound statement header");
  }
  if (!ValidHeader(w, k + 1, colon))
    return Bail("a compound statement header the syntax check refuses");
  if (w == "if" && !frames_[fi].recorded && !MainGuard(k + 1, colon)) return false;
  if (child.assign) {
    child.walk_key = frames_[fi].walk_key;
    child.walk_key.insert(child.walk_key.end(), {1, -frames_[fi].stmt, -frames_[fi].clause});
  }
  frames_[fi].prev = next;
  return OpenBlock(std::move(child), colon);
}

bool Prescanner::SimpleStatements(size_t b, size_t e) {
  size_t a = b;
  while (a < e) {
    size_t c = a;
    while (c < e && !(toks_[c].depth == 0 && IsOp(toks_[c], ";"))) ++c;
    if (a == c) return Bail("empty statement");
    ++frames_.back().stmt;
    if (!SimpleStatement(a, c)) return false;
    a = c + 1;
    if (a == e) break;  // a trailing `;`
  }
  return true;
}

}  // namespace prescan
}  // namespace ptlint
