// The drift rules on real code nobody here wrote: torchaudio 0.13's wav2vec2.
//
// tests/realcode/torchaudio_drift_fixture.py (Debian's torch 1.13 and
// torchaudio 0.13) makes a small project around torchaudio's own wav2vec2
// source, copied unchanged, with a state-dict checkpoint and a whole pickled
// model of the same model (random init, a small configuration written as
// literal arguments in the source). The pristine project must give no error.
// Each drift below is then injected into a fresh copy as a textual edit, the
// way code drifts after a checkpoint is saved, and must be caught by the
// right rule on the right line; the line is found by searching the edited
// text, never hard-coded. Nothing else may be an error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/support/subprocess.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path Root() { return fs::path(PTLINT_BINARY_DIR) / "torchaudio_drift"; }
fs::path Pristine() { return Root() / "fixture" / "pristine"; }
fs::path Components(const fs::path& p) { return p / "src/audiomodels/wav2vec2/components.py"; }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Replaces every occurrence; the edit must apply (the source is torchaudio's,
// so a new torchaudio that changed the text fails here, loudly).
void Replace(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = ReadFile(file);
  size_t n = 0;
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size(), ++n) {
    text.replace(at, from.size(), to);
  }
  ASSERT_GT(n, 0u) << "`" << from << "` is not in " << file;
  WriteFile(file, text);
}

// 1-based line of the first occurrence of `needle`; 0 when absent.
int LineOf(const fs::path& file, const std::string& needle) {
  std::string text = ReadFile(file);
  size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

struct Finding {
  std::string code, severity, path, message;
  int line = 0;
};

std::string Describe(const std::vector<Finding>& fs) {
  std::string s;
  for (const Finding& f : fs) {
    s += "  " + f.path + ":" + std::to_string(f.line) + " " + f.code + " (" + f.severity + ") " +
         f.message.substr(0, 300) + "\n";
  }
  return s.empty() ? "  (none)\n" : s;
}

std::vector<Finding> Check(const fs::path& project, json* doc_out = nullptr) {
  std::string script = "cd '" + project.string() + "' && exec '" + std::string(PTLINT_BINARY_DIR) +
                       "/ptlint' check . --output-format json";
  auto r = RunProcess({"/bin/sh", "-c", script});
  EXPECT_TRUE(r.ok());
  std::vector<Finding> out;
  if (!r.ok()) return out;
  EXPECT_TRUE(r.value().exit_code == 0 || r.value().exit_code == 1) << r.value().err;
  json doc = json::parse(r.value().out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << r.value().out << r.value().err;
  if (doc.is_discarded()) return out;
  for (const json& d : doc["diagnostics"]) {
    Finding f;
    f.code = d["code"];
    f.severity = d["severity"];
    f.message = d["message"];
    f.path = d["location"].value("path", "");
    f.line = d["location"].value("line", 0);
    out.push_back(f);
  }
  if (doc_out) *doc_out = doc;
  return out;
}

fs::path Copy(const std::string& name) {
  fs::path work = Root() / "work" / name;
  fs::remove_all(work);
  fs::create_directories(work.parent_path());
  fs::copy(Pristine(), work, fs::copy_options::recursive);
  return work;
}

class TorchaudioDrift : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path fixture = Root() / "fixture";
    if (fs::exists(Pristine() / "ckpt" / "w2v_full.pt") && fs::exists(fixture / "factory" / "ckpt" / "w2v.pt")) return;
    fs::create_directories(Root());
    // ctest runs each case in its own process, in parallel: every process
    // builds into its own folder and publishes it with an atomic rename, so
    // no case ever reads a half-written fixture.
    std::string tag = std::to_string(::getpid());
    fs::path scratch = Root() / ("fixture.tmp." + tag);
    fs::path log = Root() / ("fixture." + tag + ".log");
    fs::remove_all(scratch);
    std::string cmd = std::string(PTLINT_PYTHON) + " '" + PTLINT_SOURCE_DIR +
                      "/tests/realcode/torchaudio_drift_fixture.py' '" + scratch.string() + "' > '" +
                      log.string() + "' 2>&1";
    fixture_rc_ = std::system(cmd.c_str());
    if (fixture_rc_ != 0) {
      std::error_code ec;
      fs::copy_file(log, Root() / "fixture.log", fs::copy_options::overwrite_existing, ec);
      return;
    }
    std::error_code ec;
    fs::rename(scratch, fixture, ec);  // fails if another process won: use theirs
    fs::remove_all(scratch, ec);
    fs::remove(log, ec);
  }
  void SetUp() override {
    ASSERT_EQ(fixture_rc_, 0) << "torchaudio_drift_fixture.py failed (needs Debian's python3-torch and "
                                 "python3-torchaudio at " PTLINT_PYTHON "):\n"
                              << ReadFile(Root() / "fixture.log");
  }
  static int fixture_rc_;
};
int TorchaudioDrift::fixture_rc_ = 0;

TEST_F(TorchaudioDrift, PristineSourceAndCheckpointsGiveNoError) {
  json doc;
  std::vector<Finding> findings = Check(Pristine(), &doc);
  std::vector<Finding> errors;
  for (const Finding& f : findings) {
    if (f.severity == "error") errors.push_back(f);
  }
  EXPECT_TRUE(errors.empty()) << "pristine torchaudio source must load its own checkpoints:\n" << Describe(findings);
  std::cout << "pristine findings (none may be an error):\n" << Describe(findings);
  // Both checkpoints are bound to the class, so the silence is earned.
  for (const json& c : doc["checkpoints"]) {
    EXPECT_EQ(c["binding"]["class"], "asr.model.SpeechRecognizer") << c.dump();
  }
}

struct Drift {
  std::string name;
  std::string what;                              // for the table
  std::function<void(const fs::path&)> inject;   // edits the copy
  std::string code;                              // the rule that must catch it
  std::string file;                              // where, relative to the project
  std::string needle;                            // text on the expected line (after the edit)
  std::string message_has;                       // and in the message
  // Errors of other rules the drift rightly causes too (a source edit also
  // changes what the whole pickled model in ckpt/w2v_full.pt finds: PTL104).
  std::vector<std::string> also = {};
};

void PrintTo(const Drift& d, std::ostream* os) { *os << d.name; }

std::vector<Drift> Drifts() {
  const std::string c = "src/audiomodels/wav2vec2/components.py";
  return {
      {"rename_attribute", "FeedForward.intermediate_dense renamed intermediate_fc",
       [](const fs::path& p) { Replace(Components(p), "self.intermediate_dense", "self.intermediate_fc"); },
       "PTL204", c, "self.intermediate_fc = nn.Linear", "intermediate_dense", {"PTL104"}},
      {"resize_in_source", "FeedForward.output_dense: nn.Linear(.., io_features * 2)",
       [](const fs::path& p) {
         Replace(Components(p), "nn.Linear(intermediate_features, io_features)",
                 "nn.Linear(intermediate_features, io_features * 2)");
       },
       "PTL203", c, "nn.Linear(intermediate_features, io_features * 2)", "output_dense.weight"},
      {"resize_constructor_argument", "encoder_ff_interm_features=64 -> 128 in the model's constructor call",
       [](const fs::path& p) {
         Replace(p / "src/asr/model.py", "encoder_ff_interm_features=64", "encoder_ff_interm_features=128");
       },
       "PTL203", c, "self.intermediate_dense = nn.Linear", "intermediate_dense.weight"},
      {"conv_kernel_in_source", "ConvLayerBlock conv (feature extractor): kernel_size=kernel_size + 1",
       [](const fs::path& p) {
         Replace(Components(p), "            kernel_size=kernel_size,\n            stride=stride,",
                 "            kernel_size=kernel_size + 1,\n            stride=stride,");
       },
       "PTL203", c, "self.conv = nn.Conv1d(\n            in_channels=in_channels", "conv_layers.0.conv.weight"},
      {"new_submodule", "FeedForward gains self.output_norm = nn.LayerNorm(io_features)",
       [](const fs::path& p) {
         Replace(Components(p), "        self.output_dropout = nn.Dropout(output_dropout)\n",
                 "        self.output_dropout = nn.Dropout(output_dropout)\n"
                 "        self.output_norm = nn.LayerNorm(io_features)\n");
       },
       "PTL201", c, "self.output_norm = nn.LayerNorm(io_features)", "output_norm", {"PTL104"}},
      {"removed_submodule", "EncoderLayer loses self.final_layer_norm",
       [](const fs::path& p) {
         Replace(Components(p), "        self.final_layer_norm = nn.LayerNorm(attention.embed_dim)\n", "");
       },
       "PTL202", c, "class EncoderLayer(Module):", "final_layer_norm"},
      {"moved_class", "ConvLayerBlock moved from components.py to blocks.py; components imports it as Block",
       [](const fs::path& p) {
         fs::path comp = Components(p);
         std::string text = ReadFile(comp);
         size_t begin = text.find("class ConvLayerBlock(Module):");
         size_t end = text.find("class FeatureExtractor(Module):");
         ASSERT_TRUE(begin != std::string::npos && end != std::string::npos && begin < end);
         std::string cls = text.substr(begin, end - begin);
         text.erase(begin, end - begin);
         WriteFile(comp, text);
         WriteFile(comp.parent_path() / "blocks.py",
                   "from typing import Optional, Tuple\n\nimport torch\nfrom torch import nn, Tensor\n"
                   "from torch.nn import Module\n\n\n" + cls);
         // The old name is gone from components (no `ConvLayerBlock = ...` alias).
         Replace(comp, "from torch.nn import Module, Parameter\n",
                 "from torch.nn import Module, Parameter\n\nfrom .blocks import ConvLayerBlock as Block\n");
         Replace(comp, "ConvLayerBlock(", "Block(");
       },
       "PTL102", "src/load_full.py", "torch.load(\"ckpt/w2v_full.pt\")", "blocks"},
      {"renamed_module", "components.py renamed layers.py (model.py imports it as components)",
       [](const fs::path& p) {
         fs::path comp = Components(p);
         fs::rename(comp, comp.parent_path() / "layers.py");
         Replace(comp.parent_path() / "model.py", "from . import components\n", "from . import layers as components\n");
       },
       "PTL101", "src/load_full.py", "torch.load(\"ckpt/w2v_full.pt\")", "audiomodels.wav2vec2.components"},
      {"module_prefix", "checkpoint saved from nn.DataParallel (`module.` keys)",
       [](const fs::path& p) {
         fs::copy_file(Root() / "fixture/variants/w2v_module.pt", p / "ckpt/w2v.pt",
                       fs::copy_options::overwrite_existing);
       },
       "PTL205", "src/load.py", "model.load_state_dict(", "module."},
      {"orig_mod_prefix", "checkpoint saved from torch.compile (`_orig_mod.` keys)",
       [](const fs::path& p) {
         fs::copy_file(Root() / "fixture/variants/w2v_orig_mod.pt", p / "ckpt/w2v.pt",
                       fs::copy_options::overwrite_existing);
       },
       "PTL205", "src/load.py", "model.load_state_dict(", "_orig_mod."},
  };
}

class TorchaudioDriftCase : public TorchaudioDrift, public ::testing::WithParamInterface<Drift> {};

TEST_P(TorchaudioDriftCase, CaughtByTheRightRuleOnTheRightLine) {
  const Drift& d = GetParam();
  fs::path work = Copy(d.name);
  d.inject(work);
  if (HasFatalFailure()) return;
  int line = LineOf(work / d.file, d.needle);
  ASSERT_GT(line, 0) << "`" << d.needle << "` not in " << d.file << " after the edit";
  std::vector<Finding> findings = Check(work);
  bool caught = false;
  std::vector<Finding> other_errors;
  for (const Finding& f : findings) {
    if (f.code == d.code && f.path == d.file && f.line == line && f.message.find(d.message_has) != std::string::npos) {
      caught = true;
    } else if (f.severity == "error" && f.code != d.code &&
               std::find(d.also.begin(), d.also.end(), f.code) == d.also.end()) {
      other_errors.push_back(f);
    }
  }
  std::cout << "DRIFT " << d.name << " | " << d.what << " | expect " << d.code << " at " << d.file << ":"
            << line << " | " << (caught ? "caught" : "NOT caught") << "\n";
  EXPECT_TRUE(caught) << d.what << ": expected " << d.code << " at " << d.file << ":" << line << ", got:\n"
                      << Describe(findings);
  EXPECT_TRUE(other_errors.empty()) << d.what << ": errors of other rules:\n" << Describe(other_errors);
}

INSTANTIATE_TEST_SUITE_P(Wav2Vec2, TorchaudioDriftCase, ::testing::ValuesIn(Drifts()),
                         [](const ::testing::TestParamInfo<Drift>& info) { return info.param.name; });

// The model built by a factory function at module level, `model =
// wav2vec2_model(...)`, as torchaudio documents it: the call site binds the
// checkpoint through the factory, predicted with its arguments (its `aux`
// head comes from aux_num_out), so nothing is reported.
//
// (Sessions 1-3 listed "classes called through their module object lose
// their subtree" as a gap here. It was the drift script's fault: in
// torchaudio's _get_feature_extractor a local list named `blocks` shadows a
// `from . import blocks`, so that variant fails in Python too. Module-object
// calls are predicted: PredictionTest.ClassesThroughModuleObjectsAndFactories.)
TEST_F(TorchaudioDrift, FactoryBuiltModelAtModuleLevelGivesNoError) {
  std::vector<Finding> findings = Check(Root() / "fixture" / "factory");
  for (const Finding& f : findings) EXPECT_NE(f.severity, "error") << Describe(findings);
}

}  // namespace
}  // namespace ptlint
