#include "analyzer/analysis/pickle_safety.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "analyzer/analysis/restricted_unpickler.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/formats/pickle_fuzz_input.h"
#include "analyzer/formats/pickle_machine.h"

namespace ptlint {
namespace {

using std::string_literals::operator""s;

std::vector<SafetyFinding> Scan(const std::string& bytes, PickleSafetyOptions options = {}) {
  PickleGraph g = PickleMachine().Run(bytes, 1000);
  return AnalyzePickleGraph(g, 3, "archive/data.pkl", "x.pt", options);
}

const SafetyFinding* Find(const std::vector<SafetyFinding>& fs, const std::string& rule) {
  for (const auto& f : fs) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

// Pickle bytes by opcode, as Python's pickle writes them.
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
const std::string kProto4 = "\x80\x04"s;

std::vector<std::string> Rules(const std::vector<SafetyFinding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.rule + " " + f.module + "." + f.name);
  return out;
}
std::string Dump(const std::vector<SafetyFinding>& fs) {
  std::string all;
  for (const auto& f : fs) all += FormatSafetyFinding(f) + "\n";
  return all;
}

TEST(PickleSafety, EvalReduceIsCodeExecutionWithCallChain) {
  // builtins.eval('print(1)')
  std::string p = "\x80\x02" "c__builtin__\neval\nX\x08\x00\x00\x00print(1)\x85R."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->module, "builtins");
  EXPECT_EQ(f->name, "eval");
  EXPECT_EQ(f->raw_global, "__builtin__.eval");
  EXPECT_EQ(f->offset, 1002);
  EXPECT_EQ(f->pickle, 3);
  EXPECT_EQ(f->record, "archive/data.pkl");
  EXPECT_EQ(f->consumer, "REDUCE");
  ASSERT_FALSE(f->call_chain.empty());
  EXPECT_NE(f->call_chain[0].find("REDUCE"), std::string::npos);
  EXPECT_NE(f->call_chain[0].find("'print(1)'"), std::string::npos);
  EXPECT_FALSE(f->why.empty());
  EXPECT_EQ(f->severity, Severity::kError);
}

TEST(PickleSafety, NetworkAndFileSystemAreDangerous) {
  std::string p = "\x80\x02" "csmtplib\nSMTP\nX\x09\x00\x00\x00" "127.0.0.1\x85R."s;
  auto network = Scan(p);  // keep the findings alive while pointing into them
  const SafetyFinding* f = Find(network, "PTL602");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->tier, SafetyTier::kNetwork);
  std::string q = "\x80\x02" "cshutil\nrmtree\nX\x01\x00\x00\x00/\x85R."s;
  auto files = Scan(q);
  const SafetyFinding* g = Find(files, "PTL602");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->tier, SafetyTier::kFileSystem);
}

TEST(PickleSafety, UnknownGlobalIsAWarningUnlessStrict) {
  std::string p = "\x80\x02" "cmymodels\nNet\n)\x81}b."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL603");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->consumer, "NEWOBJ");
  PickleSafetyOptions strict;
  strict.strict = true;
  EXPECT_EQ(Find(Scan(p, strict), "PTL603")->severity, Severity::kError);
  PickleSafetyOptions project;
  project.context.project_class = [](std::string_view m, std::string_view n) {
    return m == "mymodels" && n == "Net";
  };
  EXPECT_TRUE(Scan(p, project).empty());
}

TEST(PickleSafety, BenignStateDictHasNoFindings) {
  std::string p = "\x80\x02\x63\x63\x6f\x6c\x6c\x65\x63\x74\x69\x6f\x6e\x73\x0a\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x0a\x71\x00\x29\x52\x71\x01\x58\x01\x00\x00\x00\x77\x71\x02\x63\x74\x6f\x72\x63\x68\x2e\x5f\x75\x74\x69\x6c\x73\x0a\x5f\x72\x65\x62\x75\x69\x6c\x64\x5f\x74\x65\x6e\x73\x6f\x72\x5f\x76\x32\x0a\x71\x03\x28\x28\x58\x07\x00\x00\x00\x73\x74\x6f\x72\x61\x67\x65\x71\x04\x63\x74\x6f\x72\x63\x68\x0a\x46\x6c\x6f\x61\x74\x53\x74\x6f\x72\x61\x67\x65\x0a\x71\x05\x58\x01\x00\x00\x00\x30\x71\x06\x58\x03\x00\x00\x00\x63\x70\x75\x71\x07\x4b\x01\x74\x71\x08\x51\x4b\x00\x4b\x01\x85\x4b\x01\x85\x89\x68\x00\x29\x52\x71\x09\x74\x71\x0a\x52\x71\x0b\x73\x2e"s;
  PickleGraph g = PickleMachine().Run(p, 0);
  ASSERT_TRUE(g.complete()) << (g.error ? g.error->message : "");
  auto fs = AnalyzePickleGraph(g, 0, "data.pkl", "x.pt", {});
  for (const auto& f : fs) ADD_FAILURE() << FormatSafetyFinding(f);
}

TEST(PickleSafety, DynamicStackGlobalIsPTL604) {
  // STACK_GLOBAL on a module name built by a call: str.join-like computed value.
  std::string p = "\x80\x04" "\x8c\x08" "builtins\x8c\x03str\x93\x8c\x02os\x85R"
                  "\x8c\x06system\x93."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL604");
  ASSERT_NE(f, nullptr) << fs.size();
  EXPECT_EQ(f->opcode, "STACK_GLOBAL");
}

TEST(PickleSafety, TruncatedPickleFailsClosed) {
  std::string p = "\x80\x02" "ccollections\nOrderedDict\nq\x00)R"s;  // no STOP
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL604");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("could not be read to the end"), std::string::npos);
}

TEST(PickleSafety, GetattrIntrospectionGadget) {
  // getattr(print, '__globals__') style chain: getattr(builtins.print, '__self__').
  std::string p = "\x80\x02" "cbuiltins\ngetattr\ncbuiltins\nprint\nX\x08\x00\x00\x00__self__\x86R."s;
  auto fs = Scan(p);
  bool gadget = false;
  for (const auto& f : fs) {
    if (f.rule == "PTL602" && f.tier == SafetyTier::kGadget && f.message.find("__self__") != std::string::npos) {
      gadget = true;
    }
  }
  EXPECT_TRUE(gadget);
  EXPECT_NE(Find(fs, "PTL601"), nullptr);  // getattr itself
}

TEST(PickleSafety, BuildOnImportedFunctionIsAGadget) {
  // BUILD sets state on numpy.prod itself (modelscan#85 pattern).
  std::string p = "\x80\x02\x63\x6e\x75\x6d\x70\x79\x0a\x70\x72\x6f\x64\x0a\x4e\x7d\x58\x01\x00\x00\x00\x61\x58\x02\x00\x00\x00\x6f\x73\x73\x86\x62\x2e"s;
  auto fs = Scan(p);
  bool gadget = false;
  for (const auto& f : fs) gadget |= f.rule == "PTL602" && f.opcode == "BUILD";
  std::string all;
  for (const auto& f : fs) all += FormatSafetyFinding(f) + "\n";
  EXPECT_TRUE(gadget) << all;
}

TEST(PickleSafety, DottedNameThroughAllowedModule) {
  std::string p = "\x80\x04\x8c\x07pathlib\x8c\x09os.system\x93\x8c\x02id\x85R."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr);
}

// issue 12 §1. Each payload below is a protocol-4 pickle that ran code under
// real torch 1.13 (tests/security_redteam_test.cc proves it with a marker
// file); before the chain resolution, ptlint passed all of them.
TEST(PickleSafety, ChainsThroughAllowlistedModulesAreJudgedByWhereTheyEnd) {
  // _import_dotted_name('os.system')('touch x')
  std::string importer = kProto4 + StackGlobal("torch.nn.modules.module", "torch._import_dotted_name") +
                         Str("os.system") + "\x85R" + Str("touch x") + "\x85R.";
  auto fs = Scan(importer);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr) << Dump(fs);
  EXPECT_EQ(f->severity, Severity::kError);
  EXPECT_NE(f->why.find("torch._utils._import_dotted_name"), std::string::npos) << f->why;
  // open('x', 'w') reached through inspect.tokenize from three wildcards.
  for (const char* module : {"torch.nn.modules.module", "torch.optim.optimizer", "torch.nn.modules.linear"}) {
    std::string opener = kProto4 + StackGlobal(module, "torch.inspect.tokenize._builtin_open") +
                         Str("x") + Str("w") + "\x86R.";
    auto open_fs = Scan(opener);
    const SafetyFinding* g = Find(open_fs, "PTL602");
    ASSERT_NE(g, nullptr) << module << "\n" << Dump(open_fs);
    EXPECT_EQ(g->tier, SafetyTier::kFileSystem);
  }
  // A chain to something no list names fails closed.
  std::string method = kProto4 + StackGlobal("torch.nn.modules.linear", "Linear.register_forward_hook") + ".";
  auto method_fs = Scan(method);
  const SafetyFinding* h = Find(method_fs, "PTL604");
  ASSERT_NE(h, nullptr) << Dump(method_fs);
  EXPECT_EQ(h->severity, Severity::kError);
  EXPECT_EQ(Find(method_fs, "PTL603"), nullptr);
}

TEST(PickleSafety, ReexportedImporterWithPlainGlobal) {
  std::string p = "\x80\x02" "ctorch\n_import_dotted_name\n"s + "X\x09\x00\x00\x00os.system\x85R."s;
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr) << Dump(fs);
  EXPECT_EQ(f->module, "torch");
  EXPECT_EQ(f->name, "_import_dotted_name");
}

// A name longer than the 64 KiB the machine keeps is never judged by its
// prefix: torch.nn.modules.module.torch is torch again, so this cycle ends
// at torch._import_dotted_name past the kept text.
TEST(PickleSafety, NameLongerThanTheKeptTextIsUnknown) {
  std::string cycle = "torch";
  while (cycle.size() <= 70000) cycle += ".nn.modules.module.torch";
  cycle += "._import_dotted_name";
  std::string p = kProto4 + StackGlobal("torch.nn.modules.module", cycle) + Str("os.system") + "\x85R.";
  auto fs = Scan(p);
  const SafetyFinding* f = Find(fs, "PTL604");
  ASSERT_NE(f, nullptr) << Dump(fs);
  EXPECT_NE(f->message.find("64 KiB"), std::string::npos) << f->message;
  // Even a single harmless-looking component: its end is past what was kept.
  std::string wide = kProto4 + StackGlobal("torch.nn.modules.linear", "Linear" + std::string(70000, 'x')) + ".";
  EXPECT_NE(Find(Scan(wide), "PTL604"), nullptr);
  // The same name under the limit is an ordinary (unknown) global.
  std::string narrow = kProto4 + StackGlobal("mylib", "Net" + std::string(1000, 'x')) + ".";
  EXPECT_EQ(Find(Scan(narrow), "PTL604"), nullptr);
}

// issue 12 §5: a 10^6-deep pickle crashed the report (recursive repr).
TEST(PickleSafety, MillionDeepPicklesDoNotRecurse) {
  std::string calls = "\x80\x02" "cos\nsystem\ncfoo\nbar\n"s;
  for (int i = 0; i < 1000000; ++i) calls += ")R";
  calls += "\x85R.";
  auto fs = Scan(calls);
  const SafetyFinding* f = Find(fs, "PTL601");
  ASSERT_NE(f, nullptr);
  ASSERT_FALSE(f->call_chain.empty());
  EXPECT_LT(f->call_chain[0].size(), 400u);
  std::string tuples = "\x80\x02N"s + std::string(1000000, '\x85') + ".";
  EXPECT_TRUE(Scan(tuples).empty());
  std::string lists = "\x80\x02"s;
  for (int i = 0; i < 1000000; ++i) lists += "]";
  for (int i = 0; i < 999999; ++i) lists += "a";
  lists += ".";
  EXPECT_TRUE(Scan(lists).empty()) << Dump(Scan(lists));
}

// issue 12 §6: partial(nn.LayerNorm, eps=1e-6), as torchvision stores
// norm_layer, the way functools.partial pickles itself:
// partial(F) REDUCE, then BUILD (F, args, kwargs, dict).
std::string Partial(const std::string& callee, const std::string& state_callee) {
  return "\x80\x02" "cfunctools\npartial\nq\x00"s + callee + "q\x01\x85R" + "(" +
         state_callee + ")}" + "X\x03\x00\x00\x00" "eps"s + "G\x3e\xb0\xc6\xf7\xa0\xb5\xed\x8ds" + "Ntb" + ".";
}

TEST(PickleSafety, PartialIsJudgedByItsCallee) {
  const std::string layer_norm = "ctorch.nn.modules.normalization\nLayerNorm\n";
  auto benign = Scan(Partial(layer_norm, "h\x01"));
  EXPECT_TRUE(benign.empty()) << Dump(benign);
  // partial(os.system, ...): the callee is PTL601, and the partial stays a gadget.
  auto system = Scan(Partial("cos\nsystem\n", "h\x01"));
  EXPECT_NE(Find(system, "PTL601"), nullptr) << Dump(system);
  EXPECT_NE(Find(system, "PTL602"), nullptr) << Dump(system);
  // __setstate__ swaps the callee: the BUILD state counts too.
  auto swapped = Scan(Partial(layer_norm, "cos\nsystem\n"));
  EXPECT_NE(Find(swapped, "PTL601"), nullptr) << Dump(swapped);
  EXPECT_NE(Find(swapped, "PTL602"), nullptr) << Dump(swapped);
  // partial of an unknown callable: the partial is no better than it.
  auto unknown = Scan(Partial("cmylib\nhelper\n", "h\x01"));
  EXPECT_NE(Find(unknown, "PTL602"), nullptr) << Dump(unknown);
  // The partial class itself handed to something else stays a gadget.
  std::string passed = "\x80\x02" "cfunctools\npartial\n" "ctorch.nn.modules.normalization\nLayerNorm\n" "\x86."s;
  EXPECT_NE(Find(Scan(passed), "PTL602"), nullptr);
}

// The fuzz seeds (tests/fuzz/pickle_machine, shared with pickle_safety_fuzz)
// run here too, so the deep "DEEP" recipes (10^6 levels of tuples, calls,
// lists, NEWOBJ, marks) are exercised by every test run, not only by fuzzing.
TEST(PickleSafety, FuzzSeedsIncludingMillionDeepRecipesRunCleanly) {
  namespace fs = std::filesystem;
  int recipes = 0, seeds = 0;
  for (const auto& entry : fs::directory_iterator(std::string(PTLINT_SOURCE_DIR) + "/tests/fuzz/pickle_machine")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string bytes = ExpandPickleFuzzInput(raw);
    bool recipe = entry.path().extension() == ".recipe";
    if (recipe) {
      EXPECT_GE(bytes.size(), 1000000u) << entry.path();
      ++recipes;
    }
    ++seeds;
    PickleGraph g = PickleMachine().Run(bytes, 0);
    auto findings = AnalyzePickleGraph(g, 0, "data.pkl", "seed.pt", {});
    for (const auto& f : findings) EXPECT_FALSE(f.message.empty()) << entry.path();
    for (TorchVersion v : kAllTorchVersions) {
      WeightsOnlyPickleRun run = RunWeightsOnlyUnpickler(bytes, 0, v);
      EXPECT_TRUE(run.ok || !run.exception.empty()) << entry.path();
    }
  }
  EXPECT_GE(recipes, 6);
  EXPECT_GE(seeds, 20);
}

TEST(PickleSafety, FormatMentionsRuleOffsetAndWhy) {
  std::string p = "\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R."s;
  auto fs = Scan(p);
  ASSERT_FALSE(fs.empty());
  std::string text = FormatSafetyFinding(fs[0]);
  EXPECT_NE(text.find("PTL601"), std::string::npos);
  EXPECT_NE(text.find("os.system"), std::string::npos);
  EXPECT_NE(text.find("offset 1002"), std::string::npos);
  EXPECT_NE(text.find("why:"), std::string::npos);
}

// A pickle torch.load would not read (a member with pickle magic in a zip
// that is not a torch archive, which other loaders still unpickle) is found
// by the reader, handed over in
// Checkpoint::unread_pickles and judged from there: the file is gone
// before the analysis runs.
TEST(PickleSafety, UnreadPicklesComeFromTheReaderNotTheFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ptlint_unread_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "ckpt.pt";
  std::ofstream(dir / "make.py") << R"PY(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('readme.txt', b'weights')
    z.writestr('payload/blob.bin', b'\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R.')
)PY";
  std::string cmd = std::string(PTLINT_PYTHON) + " " + (dir / "make.py").string() + " " + file.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Checkpoint cp = ReadCheckpoint(file.string());
  fs::remove_all(dir);
  ASSERT_EQ(cp.unread_pickles.size(), 1u);
  EXPECT_EQ(cp.unread_pickles[0].record, "payload/blob.bin");
  EXPECT_EQ(cp.unread_pickles[0].index, static_cast<int>(cp.pickles.size()));
  PickleSafetyReport report = AnalyzePickleSafety(cp, {});
  EXPECT_TRUE(report.can_execute_code);
  const SafetyFinding* f = Find(report.findings, "PTL601");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->record, "payload/blob.bin");
}

}  // namespace
}  // namespace ptlint
