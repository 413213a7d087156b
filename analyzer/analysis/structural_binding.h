// Structural binding: which class (and construction) a checkpoint that no
// load site, `--bind` or pickled class names belongs to, decided by the keys
// and shapes each candidate predicts.
//
// Candidates, predicted once per link and matched against every checkpoint:
//   - each public module-level function whose parameters all have defaults
//     and that evidently builds a module (a builder: `squeezenet1_1()`,
//     `resnet18()` through `_resnet(BasicBlock, [2, 2, 2, 2])`), predicted
//     with its literal arguments: its construction is known;
//   - each nn.Module class at every construction the source writes with
//     literal arguments (`Net(64, depth=2)`), and at its defaults; the
//     defaults are a known construction only when nothing in the source
//     constructs the class otherwise (`SqueezeNet(version, **kwargs)` makes
//     SqueezeNet's defaults a guess).
// Candidates whose predictions are identical are one candidate (a builder
// and the class at the same arguments).
//
// The contract (speak only when certain): a match is a binding only when it
// explains the file by keys the candidate itself predicts (exact keys and
// repeated patterns, never open subtrees), with a clear margin over every
// other candidate, counting what their open subtrees could explain. Open or
// dynamic classes (contents from arguments: torchvision's
// IntermediateLayerGetter) therefore never win, and a wrapper prefix
// (`module.`, `_orig_mod.`) is stripped before matching.
#ifndef PTLINT_ANALYZER_ANALYSIS_STRUCTURAL_BINDING_H_
#define PTLINT_ANALYZER_ANALYSIS_STRUCTURAL_BINDING_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/python/module_index.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

// One way the source builds a class, as far as it can be read.
struct ClassConstructions {
  std::vector<std::map<std::string, nlohmann::json>> literal;  // distinct literal argument sets
  bool dynamic = false;  // some call passes arguments that are not literals
};

// Every `Name(...)` call in `sources` for the short names in `names`: the
// literal arguments ("0", "1", ... positional; keywords by name) of each,
// or `dynamic` when one is not all literals. Strings and comments are skipped.
std::map<std::string, ClassConstructions> ScanConstructions(const std::vector<std::string_view>& sources,
                                                            const std::unordered_set<std::string>& names);

// A Python literal argument as JSON (ints, floats, strings, True/False/None,
// lists and tuples of them); nullopt when `text` is not a literal.
std::optional<nlohmann::json> ParsePythonLiteral(std::string_view text);

struct StructuralCandidate {
  std::string cls;                                   // qualified class the prediction builds
  std::string factory;                               // the builder, qualified; empty for a class
  std::vector<std::string> factories;                // every builder with this same prediction
  std::map<std::string, nlohmann::json> args;        // the construction's literal arguments
  bool construction_known = false;
  std::vector<std::string> classes;                  // classes with this same prediction
  ExpectedStateDict expected;
  std::unordered_set<std::string> exact;             // persistent, non-pattern, non-optional keys
  std::unordered_set<std::string> all_exact;         // persistent, non-pattern keys
  std::vector<std::string> patterns;
  std::vector<std::string> open;                     // open prefixes
  bool whole_open = false;
  // The specs (StructuralCandidates::specs) with this prediction, in spec
  // order; the first one's prediction is kept, and the fields above read
  // as if the specs had been predicted in that order, whatever order the
  // checkpoints asked for them in.
  std::vector<size_t> specs;
  // For matching: every persistent non-pattern key by name, the patterns.
  std::unordered_map<std::string, const PredictedKey*> by_key;
  std::vector<const PredictedKey*> pattern_keys;
  // Patterns by their first component when it is literal ("h" of
  // "h.*.attn.bias"); the others (a `*` in the first component) apart.
  std::unordered_map<std::string, std::vector<const PredictedKey*>> patterns_by_head;
  std::vector<const PredictedKey*> wild_patterns;
  // The open prefixes without `*`, as written ("a.b." strictly under a.b,
  // "a.b" a.b and under): a key is looked up by its own prefixes, however
  // many open subtrees the candidate has.
  std::unordered_set<std::string> open_literal;
  // The others (indexes into `open`) by their first component when it is
  // literal, and apart.
  std::unordered_map<std::string, std::vector<size_t>> open_by_head;
  std::vector<size_t> wild_open;
  // The first components any of its keys, patterns or open prefixes can
  // have; `any_head`: one of those is itself a pattern (`*`, `layer*`).
  // A checkpoint key under another head is none of this candidate's.
  std::unordered_set<std::string> heads;
  bool any_head = false;
};

// The processor's threads, at most 8 (1 when unknown).
unsigned DefaultPredictionThreads();

struct StructuralMatch {
  const StructuralCandidate* best = nullptr;  // set when the binding (the class) is certain
  // The construction too: no other construction of the class comes within
  // the margin (eight VGG builders that predict the same few keys do not
  // tell which one built the file).
  bool construction_certain = false;
  double score = 0;                           // best candidate's own share of the file
  double runner_up = 0;                       // the best rival's, counting open subtrees
  std::string prefix;                         // wrapper prefix stripped before matching
  std::vector<const StructuralCandidate*> tied;  // ambiguous: within the margin
  std::string note;                           // why unbound or ambiguous, for --explain/JSON
};

// The candidates of a project: listed once (no prediction), predicted on
// first need and kept. A checkpoint needs only the candidates whose source
// could name its top-level keys: a file's vocabulary (identifiers and string
// literals, its own and its project imports') must hold the top-level
// component of at least kRelevantShare of the keys, or the candidate could
// not explain that much and is not predicted (and caps what an unpredicted
// rival could explain, for the margin).
struct StructuralCandidates {
  struct Spec {
    std::string cls;       // the class (empty for a builder until predicted)
    std::string factory;   // the builder
    std::map<std::string, nlohmann::json> args;
    bool construction_known = false;
    size_t vocabulary = 0;  // index into vocabularies
    int predicted = -1;     // -1 not yet, -2 failed, else index into list
    std::string built;      // once predicted: the class it builds
    bool known = false;     // once predicted: construction_known, unless a required argument is missing
  };
  const ModuleIndex* index = nullptr;
  std::vector<Spec> specs;
  std::vector<std::unordered_set<std::string>> vocabularies;
  std::vector<std::unique_ptr<StructuralCandidate>> list;
  std::map<std::string, size_t> by_signature;
  // The layers the candidates' predictions build, interpreted once (per
  // thread: `memo` is the calling thread's, `worker_memos` the others').
  std::unique_ptr<PredictionMemo> memo = std::make_unique<PredictionMemo>();
  std::vector<std::unique_ptr<PredictionMemo>> worker_memos;
  // Threads that predict candidates for one checkpoint (1: the calling
  // thread alone). Any count gives the same matches.
  unsigned threads = DefaultPredictionThreads();
  // The matches made, by the checkpoint's keys, shapes and class restriction.
  std::unordered_map<std::string, StructuralMatch> matched;
  static constexpr double kRelevantShare = 0.3;
};

// Lists every candidate of the project (see above); nothing is predicted yet.
StructuralCandidates CollectStructuralCandidates(const ModuleIndex& index);


// Matches one checkpoint's state-dict keys against the candidates;
// `only_class` restricts them to one class (a pickled module names it).
StructuralMatch MatchStructure(StructuralCandidates& candidates, const std::vector<const TensorInfo*>& tensors,
                               const std::string& only_class = "");

// Fills a candidate's lookup fields (by_key, patterns, open prefixes, heads)
// from its `expected` prediction.
void IndexCandidate(StructuralCandidate& c);

// A candidate's share of `keys` it explains and of its own required keys
// that `keys` has (harmonic mean); `loose` counts open subtrees too.
double CandidateScore(const StructuralCandidate& c, const std::vector<std::string>& keys, bool loose);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_STRUCTURAL_BINDING_H_
