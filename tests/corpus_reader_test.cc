// Every file of the peer security corpus through ReadCheckpoint: no crash, a
// time bound per file, and either a parsed checkpoint or specific problems.
// The files are live malicious pickles; ReadCheckpoint only reads bytes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/checkpoint_reader.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

nlohmann::json LoadManifest() {
  std::ifstream in(fs::path(PTLINT_CORPUS_DIR) / "MANIFEST.json");
  if (!in.good()) return nlohmann::json::array();
  return nlohmann::json::parse(in);
}

std::string Problems(const Checkpoint& cp) {
  std::string out;
  for (const ReaderProblem& p : cp.problems) out += p.code + ": " + p.message + "; ";
  return out;
}

bool HasGlobal(const Checkpoint& cp, const std::string& module, const std::string& name) {
  return std::any_of(cp.globals.begin(), cp.globals.end(), [&](const GlobalUse& g) {
    return g.module == module && g.name == name;
  });
}

TEST(CorpusReader, EveryFileReadsBoundedAndSaysSomething) {
  nlohmann::json manifest = LoadManifest();
  ASSERT_EQ(manifest.size(), 301u) << "corpus manifest missing at " << PTLINT_CORPUS_DIR;
  // Time is printed, not asserted (bench/ measures speed): a hang is caught
  // by the test's ctest TIMEOUT, and every read must end in a result.
  double total_ms = 0, worst_ms = 0;
  std::string worst_file;
  std::map<std::string, int> by_format, by_problem;
  for (const nlohmann::json& entry : manifest) {
    std::string rel = entry.at("path").get<std::string>();
    SCOPED_TRACE(rel);
    auto start = std::chrono::steady_clock::now();
    Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_CORPUS_DIR) / rel).string());
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    total_ms += ms;
    if (ms > worst_ms) worst_ms = ms, worst_file = rel;
    by_format[ContainerFormatName(cp.format)]++;
    for (const ReaderProblem& p : cp.problems) by_problem[std::string(SeverityName(p.severity)) + " " + p.code]++;
    EXPECT_EQ(cp.file_size, entry.at("bytes").get<uint64_t>());
    bool parsed = cp.format != ContainerFormat::kUnknown &&
                  cp.format != ContainerFormat::kNotACheckpoint && !cp.pickles.empty();
    bool parsed_without_pickles = cp.format == ContainerFormat::kSafetensors ||
                                  cp.format == ContainerFormat::kShardedIndex;
    EXPECT_TRUE(parsed || parsed_without_pickles || !cp.problems.empty())
        << "format " << ContainerFormatName(cp.format) << " with no pickles and no problem";
    for (const ReaderProblem& p : cp.problems) {
      EXPECT_FALSE(p.code.empty());
      EXPECT_FALSE(p.message.empty()) << p.code;
    }
    // Whatever picklescan saw as a global, our pickles saw too (when the file
    // is a pickle container we read).
    const nlohmann::json& ps = entry.at("picklescan");
    if (parsed && ps.is_object() && ps.contains("globals") && ps["globals"].is_array()) {
      for (const nlohmann::json& g : ps["globals"]) {
        std::string text = g.get<std::string>();
        std::string qualified = text.substr(0, text.rfind(':'));
        bool seen = false;
        for (const PickleStream& p : cp.pickles) {
          for (const GlobalRef& ref : p.graph.globals) {
            seen |= ref.module + "." + ref.name == qualified;
          }
        }
        if (!seen) {
          std::printf("[picklescan-only global] %s: %s\n", rel.c_str(), qualified.c_str());
        }
      }
    }
  }
  std::printf("[corpus] %zu files, total %.1f ms, mean %.2f ms, worst %.1f ms (%s)\n",
              manifest.size(), total_ms, total_ms / manifest.size(), worst_ms, worst_file.c_str());
  for (const auto& [format, n] : by_format) std::printf("[corpus]   %-24s %d\n", format.c_str(), n);
  for (const auto& [code, n] : by_problem) std::printf("[corpus]   problem %-40s %d\n", code.c_str(), n);
}

TEST(CorpusReader, Torch113BenignFilesHaveTheirFormatAndLayout) {
  struct Expect { const char* path; ContainerFormat format; Layout layout; };
  const Expect kExpect[] = {
      {"torch113/benign/tiny_state_dict_zip.pt", ContainerFormat::kTorchZip, Layout::kStateDict},
      {"torch113/benign/tiny_full_module_zip.pt", ContainerFormat::kTorchZip, Layout::kPickledModule},
      {"torch113/benign/tiny_training_ckpt_zip.pt", ContainerFormat::kTorchZip, Layout::kWrapperDict},
      {"torch113/benign/tiny_state_dict_legacy.pt", ContainerFormat::kLegacy, Layout::kStateDict},
      {"torch113/benign/sharded_bin/pytorch_model-00001-of-00002.bin", ContainerFormat::kTorchZip,
       Layout::kStateDict},
      {"torch113/benign/sharded_bin/pytorch_model.bin.index.json", ContainerFormat::kShardedIndex,
       Layout::kSharded},
      {"torch113/benign/sharded_st/model.safetensors.index.json", ContainerFormat::kShardedIndex,
       Layout::kSharded},
      {"torch113/benign/tiny.safetensors", ContainerFormat::kSafetensors, Layout::kSafetensors},
      {"torch113/benign/sharded_st/model-00001-of-00002.safetensors", ContainerFormat::kSafetensors,
       Layout::kSafetensors},
  };
  for (const Expect& e : kExpect) {
    SCOPED_TRACE(e.path);
    Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_CORPUS_DIR) / e.path).string());
    EXPECT_EQ(ContainerFormatName(cp.format), std::string(ContainerFormatName(e.format))) << Problems(cp);
    EXPECT_EQ(LayoutName(cp.layout), std::string(LayoutName(e.layout))) << Problems(cp);
    EXPECT_FALSE(cp.tensors.empty());
    for (const ReaderProblem& p : cp.problems) {
      EXPECT_NE(p.severity, Severity::kError) << p.code << ": " << p.message;
    }
  }
  // Both dtype files read as dicts of tensors in either container.
  for (const char* rel : {"torch113/benign/dtypes_zip.pt", "torch113/benign/dtypes_legacy.pt"}) {
    SCOPED_TRACE(rel);
    Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_CORPUS_DIR) / rel).string());
    EXPECT_GE(cp.tensors.size(), 10u) << Problems(cp);
  }
  Checkpoint index = ReadCheckpoint(
      (fs::path(PTLINT_CORPUS_DIR) / "torch113/benign/sharded_bin/pytorch_model.bin.index.json").string());
  EXPECT_EQ(index.shards.size(), 2u);
  EXPECT_EQ(index.tensors.size(), 10u) << Problems(index);
}

TEST(CorpusReader, InjectedLegacyEvalIsAGlobal) {
  for (const char* rel : {"torch113/injected_legacy/legacy_inject_magic_pickle.pt",
                          "torch113/injected_legacy/legacy_inject_main_pickle.pt"}) {
    SCOPED_TRACE(rel);
    Checkpoint cp = ReadCheckpoint((fs::path(PTLINT_CORPUS_DIR) / rel).string());
    EXPECT_EQ(cp.format, ContainerFormat::kLegacy) << Problems(cp);
    EXPECT_TRUE(HasGlobal(cp, "builtins", "eval"));
    EXPECT_EQ(cp.pickles.size(), 5u);
  }
}

TEST(CorpusReader, InjectedZipFilesStillReadAsTorchZip) {
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(PTLINT_CORPUS_DIR) /
                                                             "torch113/injected_fickling")) {
    if (entry.path().extension() != ".pt") continue;
    SCOPED_TRACE(entry.path().string());
    Checkpoint cp = ReadCheckpoint(entry.path().string());
    EXPECT_EQ(cp.format, ContainerFormat::kTorchZip) << Problems(cp);
    ASSERT_FALSE(cp.pickles.empty());
    EXPECT_FALSE(cp.globals.empty());
  }
}

}  // namespace
}  // namespace ptlint
