// Red-team payloads of issue 12 §1, §5 and §6, end to end through the ptlint
// binary, each confirmed against real torch 1.13.
//
//  * Every payload is a pickle this test writes byte by byte (no pickler).
//    The oracle loads only these files, each in its own subprocess, with
//    torch.load(weights_only=False), and checks that the payload really ran
//    (it creates a marker file). A payload that no longer runs code under
//    torch would make its row meaningless, so the oracle failing fails the
//    test.
//  * ptlint must give each one an error-level PTL601/602/604 and exit 1.
//  * 10^6-deep pickles must not crash any rule (§5).
//  * Whole-module pickles of torchvision models (torch.save(model), made in
//    a subprocess by this test, weights=None) hold
//    functools.partial(nn.LayerNorm, eps=1e-6) and must get no
//    PTL601/602/604 (§6).
//
// The test prints the counts it measured (payloads flagged, benign files
// clear) for the README's table.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/support/subprocess.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;
using std::string_literals::operator""s;

const std::string kPtlint = std::string(PTLINT_BINARY_DIR) + "/ptlint";

// Pickle opcodes, written the way Python's pickle writes them.
std::string Str(std::string_view s) {  // SHORT_BINUNICODE or BINUNICODE
  std::string out;
  if (s.size() < 256) {
    out += '\x8c';
    out += static_cast<char>(s.size());
  } else {
    out += 'X';
    uint32_t n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  out += s;
  return out;
}
std::string StackGlobal(std::string_view module, std::string_view name) {
  return Str(module) + Str(name) + "\x93";
}
std::string Call1(const std::string& arg) { return Str(arg) + "\x85R"; }
std::string BinUnicode(std::string_view s) {  // protocol 1-3 strings
  std::string out = "X";
  uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + std::string(s);
}
const std::string kProto4 = "\x80\x04"s;

struct Payload {
  std::string name;
  std::string bytes;
  std::vector<std::string> rules;  // ptlint must report one of these as an error
  bool runs_code = true;           // the oracle must see the marker
};

class RedTeam : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptlint_redteam_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    marker_ = (dir_ / "MARKER").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  // The payloads of §1: attribute chains and re-exports that leave what an
  // allowlist vouches for. `touch` and `open(marker, 'w')` are the code.
  std::vector<Payload> ChainPayloads() const {
    const std::string touch = "touch " + marker_;
    std::vector<Payload> out;
    auto importer = [&](const std::string& module, const std::string& chain) {
      return kProto4 + StackGlobal(module, chain) + Call1("os.system") + Call1(touch) + ".";
    };
    auto opener = [&](const std::string& module, const std::string& chain) {
      return kProto4 + StackGlobal(module, chain) + Str(marker_) + Str("w") + "\x86R.";
    };
    out.push_back({"chain_module_import_dotted.pkl",
                   importer("torch.nn.modules.module", "torch._import_dotted_name"), {"PTL601"}});
    out.push_back({"chain_linear_functional_import_dotted.pkl",
                   importer("torch.nn.modules.linear", "F.torch._import_dotted_name"), {"PTL601"}});
    out.push_back({"chain_module_open.pkl",
                   opener("torch.nn.modules.module", "torch.inspect.tokenize._builtin_open"), {"PTL602"}});
    out.push_back({"chain_optim_open.pkl",
                   opener("torch.optim.optimizer", "torch.inspect.tokenize._builtin_open"), {"PTL602"}});
    out.push_back({"chain_utils_open.pkl",
                   opener("torch._utils", "traceback.linecache.tokenize._builtin_open"), {"PTL602"}});
    out.push_back({"chain_module_os_system.pkl",
                   kProto4 + StackGlobal("torch.nn.modules.module", "torch.os.system") + Call1(touch) + ".",
                   {"PTL601"}});
    // A nested pickle, loaded through torch.serialization's own `pickle`.
    std::string inner = "\x80\x02" "cposix\nsystem\n"s + Str(touch) + "\x85R.";
    out.push_back({"chain_module_pickle_loads.pkl",
                   kProto4 + StackGlobal("torch.nn.modules.module", "torch.serialization.pickle.loads") +
                       "C" + std::string(1, static_cast<char>(inner.size())) + inner + "\x85R.",
                   {"PTL601"}});
    // Protocol 2 GLOBAL of the re-export: no dotted name at all.
    out.push_back({"reexport_torch_import_dotted.pkl",
                   "\x80\x02" "ctorch\n_import_dotted_name\n"s + BinUnicode("os.system") + "\x85R" +
                       BinUnicode(touch) + "\x85R.",
                   {"PTL601"}});
    // Past the 64 KiB ptlint keeps: torch.nn.modules.module.torch is torch,
    // so the cycle can be as long as the attacker likes.
    std::string cycle = "torch";
    while (cycle.size() <= 70000) cycle += ".nn.modules.module.torch";
    out.push_back({"chain_longer_than_kept_text.pkl",
                   importer("torch.nn.modules.module", cycle + "._import_dotted_name"), {"PTL604"}});
    return out;
  }

  // Runs the file under real torch 1.13 (weights_only=False) in its own
  // process and says whether the payload created the marker.
  bool RunsUnderTorch(const std::string& file) {
    fs::remove(marker_);
    auto r = RunProcess({PTLINT_PYTHON, "-c",
                         "import sys, torch\n"
                         "try:\n    torch.load(sys.argv[1], weights_only=False)\n"
                         "except Exception:\n    pass\n",
                         file});
    bool ran = fs::exists(marker_);
    fs::remove(marker_);
    return r.ok() && ran;
  }

  bool TorchAvailable() {
    auto r = RunProcess({PTLINT_PYTHON, "-c", "import torch, torchvision"});
    return r.ok() && r.value().exit_code == 0;
  }

  fs::path dir_;
  std::string marker_;
};

// Whether `ptlint check --output-format concise` printed a finding of
// `rule` (PTL601/602/604 are always errors).
bool HasError(const std::string& out, const std::string& rule) {
  return out.find(": " + rule + " ") != std::string::npos;
}

TEST_F(RedTeam, ChainsAndReexportsAreErrors) {
  bool oracle = TorchAvailable();
  int flagged = 0, confirmed = 0;
  std::vector<Payload> payloads = ChainPayloads();
  for (const Payload& p : payloads) {
    std::string file = Write(p.name, p.bytes);
    auto r = RunProcess({kPtlint, "check", file, "--select", "PTL6", "--output-format", "concise"});
    ASSERT_TRUE(r.ok()) << p.name;
    bool hit = false;
    for (const std::string& rule : p.rules) hit = hit || HasError(r.value().out, rule);
    EXPECT_TRUE(hit) << p.name << " expected " << p.rules[0] << ", got:\n" << r.value().out;
    EXPECT_EQ(r.value().exit_code, 1) << p.name;
    flagged += hit;
    if (oracle) {
      bool ran = RunsUnderTorch(file);
      EXPECT_EQ(ran, p.runs_code) << p.name << ": real torch 1.13 "
                                  << (ran ? "ran" : "did not run") << " the payload";
      confirmed += ran;
    }
  }
  std::cout << "[redteam] chain/re-export payloads: " << payloads.size() << ", flagged as errors: "
            << flagged << ", confirmed by torch 1.13: " << (oracle ? std::to_string(confirmed) : "skipped")
            << "\n";
}

// §5: one million levels of nesting, through every rule and `inspect`.
TEST_F(RedTeam, MillionDeepPicklesDoNotCrashAnyRule) {
  std::vector<std::pair<std::string, std::string>> files;
  files.push_back({"deep_tuples.pkl", "\x80\x02N"s + std::string(1000000, '\x85') + "."});
  std::string lists = "\x80\x02"s + std::string(1000000, ']') + std::string(999999, 'a') + ".";
  files.push_back({"deep_lists.pkl", lists});
  std::string calls = "\x80\x02" "cos\nsystem\ncfoo\nbar\n"s;
  for (int i = 0; i < 500000; ++i) calls += ")R";
  files.push_back({"deep_calls.pkl", calls + "\x85R."});
  std::string dicts = "\x80\x02"s;
  for (int i = 0; i < 300000; ++i) dicts += "}" + Str("k");
  dicts += "N";
  for (int i = 0; i < 300000; ++i) dicts += "s";
  files.push_back({"deep_dicts.pkl", dicts + "."});
  for (const auto& [name, bytes] : files) {
    std::string file = Write(name, bytes);
    for (const char* format : {"concise", "json", "sarif"}) {
      auto r = RunProcess({kPtlint, "check", file, "--output-format", format, "--torch-version", "2.6"});
      ASSERT_TRUE(r.ok()) << name;
      EXPECT_LE(r.value().exit_code, 1) << name << " " << format << " (a signal is 128+n)\n"
                                        << r.value().err;
    }
    auto inspect = RunProcess({kPtlint, "inspect", "--format", "json", file});
    ASSERT_TRUE(inspect.ok());
    EXPECT_LE(inspect.value().exit_code, 1) << name << "\n" << inspect.value().err;
  }
  auto r = RunProcess({kPtlint, "check", (dir_ / "deep_calls.pkl").string(), "--select", "PTL6",
                       "--output-format", "concise"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(HasError(r.value().out, "PTL601")) << r.value().out;
}

// §6: whole-module pickles of real torchvision models carry
// functools.partial(nn.LayerNorm, eps=1e-6) and other torch layers; none of
// that can run code.
TEST_F(RedTeam, TorchvisionWholeModulePicklesAreNotDangerous) {
  if (!TorchAvailable()) GTEST_SKIP() << "needs torch and torchvision";
  const std::vector<std::string> models = {"vit_b_16", "convnext_tiny", "swin_t", "efficientnet_b0"};
  std::string script =
      "import sys, torch, torchvision\n"
      "for name in sys.argv[2:]:\n"
      "    model = getattr(torchvision.models, name)(weights=None)\n"
      "    torch.save(model, sys.argv[1] + '/' + name + '.pt')\n";
  std::vector<std::string> argv = {PTLINT_PYTHON, "-c", script, dir_.string()};
  argv.insert(argv.end(), models.begin(), models.end());
  auto made = RunProcess(argv);
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made.value().exit_code, 0) << made.value().err;
  int clear = 0;
  for (const std::string& name : models) {
    std::string file = (dir_ / (name + ".pt")).string();
    ASSERT_TRUE(fs::exists(file)) << file;
    auto r = RunProcess({kPtlint, "check", file, "--select", "PTL601,PTL602,PTL604", "--output-format",
                         "concise"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().exit_code, 0) << name << ":\n" << r.value().out;
    clear += r.value().exit_code == 0;
    // The partial is there, and ptlint saw it.
    auto inspect = RunProcess({kPtlint, "inspect", "--format", "json", file});
    ASSERT_TRUE(inspect.ok());
    if (name == "vit_b_16") {  // torchvision 0.14 stores the partial in ViT's encoder blocks
      EXPECT_NE(inspect.value().out.find("functools"), std::string::npos) << name;
    }
  }
  std::cout << "[redteam] torchvision whole-module pickles: " << models.size()
            << ", clear of PTL601/602/604: " << clear << "\n";
}

}  // namespace
}  // namespace ptlint
