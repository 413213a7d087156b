// What a structural candidate could call the top-level entries of its state
// dict, read from the source text without predicting it.
//
// Structural binding predicts a candidate only when its vocabulary names
// enough of a checkpoint's top-level key components (structural_binding.h):
// a prediction costs milliseconds, a vocabulary lookup nanoseconds. The
// vocabulary is an upper bound, so it must hold every name the predictor
// could give a top-level key:
//   - a class: the identifiers and short string literals of its own body and
//     of its project base classes' bodies (`self.fc = ...`,
//     `register_buffer("mask", ...)`);
//   - a builder function: its body's words, and the vocabularies of every
//     project class and function its body names (`resnet18` -> `_resnet` ->
//     `ResNet`), transitively;
//   - the literal string arguments of the construction (a ModuleDict's keys).
// Where names can come from elsewhere, the bound falls back to the whole
// file's vocabulary with its project imports' (the looser bound used before):
// a torch base other than nn.Module (a Sequential or ModuleDict subclass gets
// its names from its arguments), an unresolved base, names built at run time
// (`setattr`, `add_module(f"layer{i}")`, `__dict__`). A project function or
// class that `self` is handed to (`init_heads(self)`) adds its own bound:
// the predictor sees only what project code sets.
//
// A definition's body is the text from its line to the next module-level
// definition of its file (or the end): a superset of the body, never less.
#ifndef PTLINT_ANALYZER_ANALYSIS_CANDIDATE_VOCABULARY_H_
#define PTLINT_ANALYZER_ANALYSIS_CANDIDATE_VOCABULARY_H_

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analyzer/python/module_index.h"

namespace ptlint {

using Vocabulary = std::unordered_set<std::string>;

// Adds the identifiers and the words of short string literals in `s`
// (comments skipped): every name that text could give an attribute.
void AddVocabulary(std::string_view s, Vocabulary& out);

// Skips the Python string literal starting at the quote `s[i]` (single or
// triple quoted); returns the index just past it (the line's end when it is
// unterminated).
size_t SkipPythonString(std::string_view s, size_t i);

// Where the module a builder's body returns comes from, read from its text:
// every `return` is a whole call `f(...)` or a name `m` whose every binding
// is `m = f(...)` and whose other uses read it (`m.x`, `m[i]`), hand it to a
// call (`init(m)`) or return it. Fills the last components of those callees
// (`built_by`), of the calls `m` is handed to and the attributes read or set
// on `m` (`set_on`); false when the text shows anything else (then
// everything the body names may reach the top level).
bool ReturnedModuleFlow(std::string_view body, std::vector<std::string>* built_by,
                        std::vector<std::string>* handed_to, Vocabulary* set_on);

class CandidateVocabularies {
 public:
  explicit CandidateVocabularies(const ModuleIndex& index);

  // Index into vocabularies() of the bound for a class or a builder.
  size_t OfClass(const ClassInfo& cls);
  size_t OfFunction(const FunctionInfo& fn);
  // The file's words with its project imports' (the fallback).
  size_t OfFile(const IndexedFile& file);
  // `base` with the words of `extra` added (a construction's string arguments).
  size_t WithWords(size_t base, const Vocabulary& extra);

  std::vector<Vocabulary>& vocabularies() { return vocabularies_; }

 private:
  struct Bound {
    Vocabulary words;
    bool fallback = false;  // names may come from elsewhere: use the file's
  };
  std::string_view Body(const IndexedFile& file, uint32_t line);
  const IndexedFile* FileAt(const std::string& path) const;
  // The bound of one definition; `visiting` breaks cycles (a cycle adds
  // nothing the walk has not already added).
  const Bound& ClassBound(const ClassInfo& cls);
  const Bound& FunctionBound(const FunctionInfo& fn);
  size_t Store(Vocabulary words);
  // Adds the bounds of every class and function called `name` (but `self`).
  void Reach(const std::string& name, const FunctionInfo* self, Bound& b);

  const ModuleIndex& index_;
  std::vector<Vocabulary> vocabularies_;
  std::unordered_map<const IndexedFile*, size_t> file_vocabulary_;
  std::unordered_map<const IndexedFile*, Vocabulary> own_words_;  // each file's own text
  std::unordered_map<const void*, Bound> bounds_;  // ClassInfo* or FunctionInfo*
  std::unordered_map<const void*, size_t> stored_;
  std::unordered_set<const void*> visiting_;
  // Module-level definitions by short name (a builder names what it calls).
  std::unordered_map<std::string, std::vector<const ClassInfo*>> classes_by_name_;
  std::unordered_map<std::string, std::vector<const FunctionInfo*>> functions_by_name_;
  std::unordered_map<std::string, const IndexedFile*> by_path_;
  std::unordered_map<std::string, const IndexedFile*> by_module_;
  // Per file: byte offset of each line start, and the lines where module-level
  // definitions start (sorted).
  struct Lines {
    std::vector<size_t> starts;
    std::vector<uint32_t> definitions;
  };
  std::unordered_map<const IndexedFile*, Lines> lines_;
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_CANDIDATE_VOCABULARY_H_
