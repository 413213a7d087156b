// The pre-scan's block structure (third of its four parts, see
// prescan_lexer.h), and the Prescanner that drives all four.
//
// Blocks: indentation to a stack of frames, compound statements and the
// order of their clauses (elif after if, except after try, ...),
// decorators, one-line bodies after a colon. Each frame also carries what
// ModuleIndex's tree walks would see of its block, so that the facts
// (prescan_facts.cc) record exactly what the tree-based extraction records.
//
// The Prescanner's member functions are defined in two files: the block
// structure in prescan_blocks.cc, the fact extraction in prescan_facts.cc.
#ifndef PTLINT_ANALYZER_PYTHON_PRESCAN_BLOCKS_H_
#define PTLINT_ANALYZER_PYTHON_PRESCAN_BLOCKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/python/indexed_file.h"
#include "analyzer/python/prescan_expressions.h"
#include "analyzer/python/prescan_lexer.h"

namespace ptlint {
namespace prescan {

enum FrameKind : uint8_t { kModuleFrame, kClassFrame, kDefFrame, kOtherFrame };
// The previous compound statement at a block's level, for clause checks.
enum Prev : uint8_t { kPrevNone, kPrevIf, kPrevLoop, kPrevTry, kPrevExcept, kPrevTryElse };

struct Frame {
  int64_t indent = 0;
  FrameKind kind = kModuleFrame;
  // ModuleIndex's tree walks, mirrored: `walk` when the walk that finds
  // module-level definitions reaches this block's statements (module,
  // if/elif/else/try/except/finally/with blocks under it); `assign` when the
  // module-level assignment walk does (the same without `with`); `recorded`
  // when the block is inside the body of a definition the first walk reached
  // (its statements are "nested").
  bool walk = true;
  bool assign = true;
  bool recorded = false;
  Prev prev = kPrevNone;
  int cls_index = -1;  // kClassFrame: index in top_ or nested_
  bool cls_nested = false;
  std::string name;  // kClassFrame, kDefFrame
  // The assignment walk's visiting order (see Assignment): this block's
  // place, its statement counter and the clause counter of the compound
  // statement being read at its level.
  std::vector<int64_t> walk_key;
  int64_t stmt = 0;
  int64_t clause = 0;
  uint32_t start = 0;  // kClassFrame: the `class` keyword's offset
};

constexpr std::string_view kPreHook = "register_load_state_dict_pre_hook";

struct ClosedClass {
  bool nested;
  int index;
  uint32_t start;
  uint32_t end;
};

class Prescanner {
 public:
  Prescanner(std::string_view source, IndexedFile* file)
      : s_(source.data()),
        n_(source.size()),
        file_(file),
        lex_(source),
        toks_(lex_.toks()),
        syntax_(lex_) {}

  // Reads the whole file into *file; false when refused (see reason()).
  bool Run();
  const char* reason() const { return lex_.reason(); }

 private:
  bool Bail(const char* why) { return lex_.Bail(why); }

  // Tokens (prescan_lexer) and syntax (prescan_expressions).
  std::string_view Text(const Tok& t) const { return lex_.Text(t); }
  bool IsOp(const Tok& t, std::string_view op) const { return lex_.IsOp(t, op); }
  bool IsWord(const Tok& t, std::string_view w) const { return lex_.IsWord(t, w); }
  size_t Test(size_t i, size_t e) { return syntax_.Test(i, e); }
  size_t Primary(size_t i, size_t e, bool* last_call, size_t* last_subscript = nullptr) {
    return syntax_.Primary(i, e, last_call, last_subscript);
  }
  size_t Matching(size_t open, size_t end) const { return syntax_.Matching(open, end); }
  bool ValidSimple(size_t a, size_t c) { return syntax_.ValidSimple(a, c); }
  bool Params(size_t i, size_t e) { return syntax_.Params(i, e); }
  bool ValidHeader(std::string_view w, size_t b, size_t e) { return syntax_.ValidHeader(w, b, e); }

  // Blocks (prescan_blocks.cc).
  size_t HeaderColon(size_t from) const;
  bool Pop();
  bool Line();
  bool Statement();
  bool OpenBlock(Frame child, size_t colon);
  bool Compound(size_t k);
  bool SimpleStatements(size_t b, size_t e);

  // Facts (prescan_facts.cc).
  SourcePosition PositionOf(const Tok& t) const { return {t.line + 1, t.col + 1}; }
  void ClassClosed(const Frame& f, uint32_t end);
  bool CheckHookMentions(uint32_t next_start);
  bool MainGuard(size_t b, size_t e);
  int StringValue(const Tok& t, std::string* out) const;
  std::string Qualified(const std::string& name) const;
  ClassInfo& ClassOf(const Frame& f) {
    return f.cls_nested ? nested_[f.cls_index] : top_[f.cls_index];
  }
  bool ClassStatement();
  bool Bases(size_t b, size_t e, std::vector<std::string>* out);
  bool Base(size_t a, size_t c, std::vector<std::string>* out);
  bool DefStatement(size_t k);
  size_t AnnotatedEquals(size_t from, size_t c);
  bool SimpleStatement(size_t a, size_t c);
  bool AllStatement(size_t a, size_t c, size_t rhs);
  bool ReadStringList(size_t b, size_t e);
  void Assignment(const Tok& target, size_t b, size_t e);
  bool DottedName(size_t* i, size_t c, std::string* out);
  bool Alias(size_t* i, size_t c, std::string* alias, bool* has);
  bool Import(size_t a, size_t c, bool record);
  bool FromImport(size_t a, size_t c, bool record);

  const char* s_;
  size_t n_;
  IndexedFile* file_;
  Lexer lex_;
  const std::vector<Tok>& toks_;  // lex_'s current logical line
  Expressions syntax_;

  std::vector<Frame> frames_;
  bool pending_block_ = false;
  Frame pending_;
  bool pending_decorator_ = false;
  int64_t decorator_indent_ = 0;
  std::vector<ClassInfo> top_;
  std::vector<ClassInfo> nested_;
  std::map<std::string, std::pair<std::vector<int64_t>, AssignmentShape>> assigns_;
  uint32_t prev_line_end_ = 0;
  std::vector<uint32_t> hook_mentions_;
  std::vector<ClosedClass> closed_classes_;
};

}  // namespace prescan
}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PRESCAN_BLOCKS_H_
