// The peer security corpus (tests/corpus/security, 301 files with labels
// and the verdicts of picklescan, modelscan and fickling) as an oracle for
// ptlint's pickle safety rules.
//
// WARNING: the corpus holds live malicious pickles. This test only reads
// bytes (ReadCheckpoint never imports or executes anything).
//
// Requirements checked:
//  1. every non-benign file that any peer flags as dangerous is flagged by
//     ptlint (PTL601/602/604);
//  2. every file labelled malicious is flagged, or listed in
//     kExplainedMisses with the reason (no silent misses), and every listed
//     file really is missed (the list cannot go stale);
//  3. the peers' documented misses (research/peer-scanners.md, "Misses worth
//     turning into ptlint tests") are flagged;
//  4. the benign torch 1.13 checkpoints get zero PTL601/602/604;
//  5. a confusion table against each peer is printed and written to
//     PTLINT_BINARY_DIR/security_confusion.md.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/analysis/pickle_safety.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

// Malicious files ptlint does not flag, each with the reason. Filled from
// real runs; the test fails if an entry here is in fact flagged.
const std::map<std::string, std::string> kExplainedMisses = {
    {"fickling_tests/test_expansion_attack_analysis.TestExpansionAttackAnalysis.test_check_safety_catches_resource_exhaustion.0.pkl",
     "memo/DUP expansion (\"billion laughs\") with no global: it cannot run code, only burn memory in "
     "a naive unpickler; ptlint's PickleMachine visits each memoised node once and is bounded by "
     "PickleLimits, so the scan itself is safe. fickling flags it as resource exhaustion."},
    {"fickling_tests/test_expansion_attack_analysis.TestExpansionAttackAnalysis.test_memo_expansion_detection.0.pkl",
     "memo expansion with no global: a denial of service against naive unpicklers, not code "
     "execution; bounded in ptlint (see above)."},
    {"modelaudit/samples/pickles/decode_exec_chain.pkl",
     "data-only pickle (no global): unpickling builds plain strings and runs nothing; the encoded "
     "exec string only runs if application code decodes and executes it. ModelAudit flags "
     "payload-looking strings by design; picklescan and modelscan report it clean too."},
    {"modelaudit/samples/pickles/malicious_model_realistic.pkl",
     "data-only pickle (no global): a dict whose tokenizer_config holds a base64 nested pickle; "
     "torch.load/pickle.load of this file runs nothing, the nested pickle runs only if code "
     "decodes and unpickles it (ModelAudit string heuristic)."},
    {"modelaudit/samples/pickles/nested_pickle_base64.pkl",
     "data-only pickle (no global) carrying a base64-encoded nested pickle as a string; loading it "
     "runs nothing (ModelAudit string heuristic)."},
    {"modelaudit/samples/pickles/nested_pickle_hex.pkl",
     "data-only pickle (no global) carrying a hex-encoded nested pickle as a string; loading it "
     "runs nothing (ModelAudit string heuristic)."},
    {"modelaudit/samples/pickles/nested_pickle_multistage.pkl",
     "data-only pickle (no global) carrying an encoded multi-stage nested pickle as a string; "
     "loading it runs nothing (ModelAudit string heuristic)."},
    {"modelaudit/samples/pickles/nested_pickle_raw.pkl",
     "data-only pickle (no global) carrying a nested pickle as bytes; loading it runs nothing, the "
     "inner pickle runs only if code unpickles those bytes (ModelAudit string heuristic)."},
    {"modelaudit/samples/safetensors/malicious_import.safetensors",
     "safetensors cannot execute code: the header is JSON and the body raw tensor bytes; the "
     "'import' is a string in __metadata__ (the reader reports the odd metadata as PTL503)."},
};

// Explained misses whose explanation is "there is no global": checked.
const std::set<std::string> kNoGlobalMisses = {
    "modelaudit/samples/pickles/decode_exec_chain.pkl",
    "modelaudit/samples/pickles/malicious_model_realistic.pkl",
    "modelaudit/samples/pickles/nested_pickle_base64.pkl",
    "modelaudit/samples/pickles/nested_pickle_hex.pkl",
    "modelaudit/samples/pickles/nested_pickle_multistage.pkl",
    "modelaudit/samples/pickles/nested_pickle_raw.pkl",
    "fickling_tests/test_expansion_attack_analysis.TestExpansionAttackAnalysis.test_check_safety_catches_resource_exhaustion.0.pkl",
    "fickling_tests/test_expansion_attack_analysis.TestExpansionAttackAnalysis.test_memo_expansion_detection.0.pkl",
};

// The misses peer-scanners.md lists as "worth turning into ptlint tests":
// files in the corpus that exercise them. All must be flagged.
const std::vector<std::string> kPeerMissRegressions = {
    "issues/modelscan_issue330_numpy_builtins.pkl",         // numpy.__builtins__ via BUILD
    "issues/modelscan_issue85_build_setattr_memo.pkl",      // BUILD setattr + memo STACK_GLOBAL
    "modelaudit_bypass_pocs/poc30_thread.pkl",              // _thread (picklescan miss)
    "modelaudit_bypass_pocs/poc32_linecache.pkl",           // linecache (picklescan miss)
    "modelaudit_bypass_pocs/poc33_logging_listen.pkl",      // logging.config.listen
    "modelaudit_bypass_pocs/poc34_zipimport.pkl",           // zipimport
    "torch113/injected_legacy/legacy_inject_main_pickle.pt",  // legacy main pickle (modelscan miss)
    "ext_gap/__0_0.distcp",                                 // extension-gated walks
    "ext_gap/.metadata",
    "ext_gap/optimizer.pt.part",
};

struct Entry {
  std::string path;
  std::string source;
  std::string label;
  bool picklescan = false;   // picklescan dangerous > 0
  bool modelscan = false;    // modelscan reported an issue
  bool fickling = false;     // fickling >= LIKELY_OVERTLY_MALICIOUS
};

enum class Truth { kMalicious, kBenign, kUnlabeled };

Truth TruthOf(const std::string& label) {
  if (label == "malicious" || label == "malicious(modelaudit regression list)" ||
      label == "fickling:LIKELY_OVERTLY_MALICIOUS" || label == "fickling:OVERTLY_MALICIOUS" ||
      label == "fickling:LIKELY_UNSAFE") {
    return Truth::kMalicious;
  }
  if (label == "benign" || label == "benign(modelaudit regression list)" ||
      label == "fickling:LIKELY_SAFE") {
    return Truth::kBenign;
  }
  return Truth::kUnlabeled;
}

std::vector<Entry> LoadManifest(std::string* error) {
  std::vector<Entry> entries;
  std::ifstream in(fs::path(PTLINT_CORPUS_DIR) / "MANIFEST.json");
  if (!in) {
    *error = "cannot open MANIFEST.json in " PTLINT_CORPUS_DIR;
    return entries;
  }
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& e : j) {
      Entry x;
      x.path = e.at("path").get<std::string>();
      x.source = e.value("source", "");
      x.label = e.at("label").is_string() ? e.at("label").get<std::string>() : "";
      const auto& ps = e.at("picklescan");
      x.picklescan = ps.contains("dangerous") && ps["dangerous"].is_number() && ps["dangerous"].get<int>() > 0;
      const auto& ms = e.at("modelscan");
      x.modelscan = ms.contains("issues") && ms["issues"].is_array() && !ms["issues"].empty();
      const auto& fk = e.at("fickling_check_safety");
      std::string f = fk.is_string() ? fk.get<std::string>() : "";
      x.fickling = f == "LIKELY_OVERTLY_MALICIOUS" || f == "OVERTLY_MALICIOUS";
      entries.push_back(std::move(x));
    }
  } catch (const nlohmann::json::exception& ex) {
    *error = std::string("MANIFEST.json: ") + ex.what();
  }
  return entries;
}

struct Verdict {
  bool flagged = false;
  int ptl601 = 0, ptl602 = 0, ptl603 = 0, ptl604 = 0;
  size_t globals = 0;  // global references over all pickles
  std::string summary;  // first findings, for failure messages
  std::string format;
};

Verdict Scan(const std::string& path) {
  Verdict v;
  Checkpoint c = ReadCheckpoint(path);
  PickleSafetyReport r = AnalyzePickleSafety(c);
  v.ptl601 = r.count("PTL601");
  v.ptl602 = r.count("PTL602");
  v.ptl603 = r.count("PTL603");
  v.ptl604 = r.count("PTL604");
  v.flagged = r.can_execute_code;
  v.format = ContainerFormatName(c.format);
  for (const PickleStream& p : c.pickles) v.globals += p.graph.globals.size();
  int shown = 0;
  for (const SafetyFinding& f : r.findings) {
    if (shown++ == 3) break;
    v.summary += "\n      " + f.rule + " " + f.module + "." + f.name + " @" + std::to_string(f.offset) +
                 " " + f.message.substr(0, 160);
  }
  if (r.findings.empty()) {
    v.summary = "\n      no findings; format " + v.format + ", " + std::to_string(c.pickles.size()) +
                " pickles";
    for (const ReaderProblem& p : c.problems) v.summary += "; problem " + p.code + ": " + p.message.substr(0, 120);
  }
  return v;
}

class SecurityCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    entries_ = new std::vector<Entry>(LoadManifest(&error));
    error_ = new std::string(error);
    verdicts_ = new std::map<std::string, Verdict>();
    auto start = std::chrono::steady_clock::now();
    for (const Entry& e : *entries_) {
      (*verdicts_)[e.path] = Scan((fs::path(PTLINT_CORPUS_DIR) / e.path).string());
    }
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  static void TearDownTestSuite() {
    delete entries_;
    delete verdicts_;
    delete error_;
  }
  static std::vector<Entry>* entries_;
  static std::map<std::string, Verdict>* verdicts_;
  static std::string* error_;
  static double seconds_;
};
std::vector<Entry>* SecurityCorpus::entries_ = nullptr;
std::map<std::string, Verdict>* SecurityCorpus::verdicts_ = nullptr;
std::string* SecurityCorpus::error_ = nullptr;
double SecurityCorpus::seconds_ = 0;

TEST_F(SecurityCorpus, ManifestLoads) {
  ASSERT_TRUE(error_->empty()) << *error_;
  EXPECT_EQ(entries_->size(), 301u);
}

TEST_F(SecurityCorpus, FlagsEveryFileAPeerFlags) {
  ASSERT_TRUE(error_->empty()) << *error_;
  for (const Entry& e : *entries_) {
    if (TruthOf(e.label) == Truth::kBenign) continue;  // peer false positives are not targets
    if (!(e.picklescan || e.modelscan || e.fickling)) continue;
    if (kExplainedMisses.count(e.path)) continue;
    const Verdict& v = verdicts_->at(e.path);
    EXPECT_TRUE(v.flagged) << e.path << " (label '" << e.label << "', ps=" << e.picklescan
                           << " ms=" << e.modelscan << " fk=" << e.fickling << ")" << v.summary;
  }
}

TEST_F(SecurityCorpus, EveryMaliciousFileIsFlaggedOrExplained) {
  ASSERT_TRUE(error_->empty()) << *error_;
  int missed = 0;
  for (const Entry& e : *entries_) {
    if (TruthOf(e.label) != Truth::kMalicious) continue;
    const Verdict& v = verdicts_->at(e.path);
    auto it = kExplainedMisses.find(e.path);
    if (v.flagged) {
      EXPECT_EQ(it, kExplainedMisses.end()) << e.path << " is flagged now: remove it from kExplainedMisses";
      continue;
    }
    ++missed;
    if (kNoGlobalMisses.count(e.path)) {
      EXPECT_EQ(v.globals, 0u) << e.path << " is explained as global-free but references globals";
    }
    EXPECT_NE(it, kExplainedMisses.end()) << "unexplained miss: " << e.path << " (label '" << e.label
                                          << "')" << v.summary;
  }
  std::cout << "[ptlint] malicious files not flagged: " << missed << " (all explained in kExplainedMisses)\n";
}

TEST_F(SecurityCorpus, PeerMissesAreFlagged) {
  ASSERT_TRUE(error_->empty()) << *error_;
  for (const std::string& path : kPeerMissRegressions) {
    ASSERT_TRUE(verdicts_->count(path)) << path << " not in MANIFEST.json";
    EXPECT_TRUE(verdicts_->at(path).flagged) << path << verdicts_->at(path).summary;
  }
  // Every FRAME-divergence pickle of fickling's bypass tests, where picklescan sees no global.
  int frame_files = 0;
  for (const Entry& e : *entries_) {
    if (e.path.find("frame") == std::string::npos && e.path.find("Frame") == std::string::npos) continue;
    if (TruthOf(e.label) != Truth::kMalicious) continue;
    ++frame_files;
    if (kExplainedMisses.count(e.path)) continue;
    EXPECT_TRUE(verdicts_->at(e.path).flagged) << e.path << verdicts_->at(e.path).summary;
  }
  std::cout << "[ptlint] FRAME-divergence pickles checked: " << frame_files << "\n";
}

TEST_F(SecurityCorpus, BenignTorchCheckpointsAreQuiet) {
  ASSERT_TRUE(error_->empty()) << *error_;
  int checked = 0;
  for (const Entry& e : *entries_) {
    if (e.path.rfind("torch113/benign/", 0) != 0) continue;
    ++checked;
    const Verdict& v = verdicts_->at(e.path);
    EXPECT_EQ(v.ptl601 + v.ptl602 + v.ptl604, 0) << e.path << v.summary;
  }
  EXPECT_GE(checked, 13);
}

TEST_F(SecurityCorpus, ConfusionTableAgainstPeers) {
  ASSERT_TRUE(error_->empty()) << *error_;
  struct Cell { int tp = 0, fn = 0, fp = 0, tn = 0, u_flag = 0, u_clear = 0; };
  const char* names[] = {"ptlint", "picklescan", "modelscan", "fickling"};
  Cell cells[4];
  // Agreement of ptlint with each peer, on every file.
  struct Agree { int both = 0, ptlint_only = 0, peer_only = 0, neither = 0; };
  Agree agree[3];
  int n_mal = 0, n_ben = 0, n_unl = 0;
  for (const Entry& e : *entries_) {
    bool flags[4] = {verdicts_->at(e.path).flagged, e.picklescan, e.modelscan, e.fickling};
    Truth t = TruthOf(e.label);
    (t == Truth::kMalicious ? n_mal : t == Truth::kBenign ? n_ben : n_unl)++;
    for (int i = 0; i < 4; ++i) {
      Cell& c = cells[i];
      if (t == Truth::kMalicious) (flags[i] ? c.tp : c.fn)++;
      else if (t == Truth::kBenign) (flags[i] ? c.fp : c.tn)++;
      else (flags[i] ? c.u_flag : c.u_clear)++;
    }
    for (int i = 1; i < 4; ++i) {
      Agree& a = agree[i - 1];
      if (flags[0] && flags[i]) ++a.both;
      else if (flags[0]) ++a.ptlint_only;
      else if (flags[i]) ++a.peer_only;
      else ++a.neither;
    }
  }
  std::ostringstream md;
  md << "## Security corpus: ptlint against picklescan, modelscan and fickling\n\n"
     << "Corpus: `tests/corpus/security` (" << entries_->size() << " files; " << n_mal
     << " labelled malicious, " << n_ben << " labelled benign, " << n_unl << " unlabelled). "
     << "\"Flags\" means: ptlint PTL601/602/604; picklescan `dangerous > 0`; modelscan any issue; "
     << "fickling `check_safety` >= LIKELY_OVERTLY_MALICIOUS. Peer verdicts from `MANIFEST.json`.\n\n"
     << "| Scanner | malicious flagged (TP) | malicious missed (FN) | benign flagged (FP) | benign clear (TN) | unlabelled flagged | unlabelled clear |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (int i = 0; i < 4; ++i) {
    const Cell& c = cells[i];
    md << "| " << names[i] << " | " << c.tp << " | " << c.fn << " | " << c.fp << " | " << c.tn
       << " | " << c.u_flag << " | " << c.u_clear << " |\n";
  }
  md << "\n| ptlint vs | both flag | only ptlint flags | only the peer flags | neither |\n|---|---|---|---|---|\n";
  for (int i = 1; i < 4; ++i) {
    md << "| " << names[i] << " | " << agree[i - 1].both << " | " << agree[i - 1].ptlint_only << " | "
       << agree[i - 1].peer_only << " | " << agree[i - 1].neither << " |\n";
  }
  md << "\nBenign-labelled files ptlint flags:\n\n";
  for (const Entry& e : *entries_) {
    if (TruthOf(e.label) == Truth::kBenign && verdicts_->at(e.path).flagged) {
      md << "- `" << e.path << "` (label " << e.label << "):" << verdicts_->at(e.path).summary << "\n";
    }
  }
  md << "\nExplained ptlint misses (" << kExplainedMisses.size() << "):\n\n";
  for (const auto& [path, why] : kExplainedMisses) md << "- `" << path << "`: " << why << "\n";
  md << "\nScan time for the whole corpus (ReadCheckpoint + pickle safety, one process): "
     << static_cast<int>(seconds_ * 1000) << " ms.\n";
  std::cout << md.str();
  std::ofstream(fs::path(PTLINT_BINARY_DIR) / "security_confusion.md") << md.str();
  // ptlint must not miss what a peer catches among labelled malicious files.
  EXPECT_GE(cells[0].tp, std::max({cells[1].tp, cells[2].tp, cells[3].tp}));
}

}  // namespace
}  // namespace ptlint
