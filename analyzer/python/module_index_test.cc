#include "analyzer/python/module_index.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/python/indexed_file_facts_for_test.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

class ModuleIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ptlint_module_index_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST_F(ModuleIndexTest, NamesImportsReexportsAndInheritance) {
  Write("src/proj/__init__.py", "from .models import *\nfrom .layers.blocks import Block as PublicBlock\n");
  Write("src/proj/models.py",
        "import torch.nn as nn\n"
        "from torch import nn as tnn\n"
        "from .layers.blocks import Block\n"
        "from . import layers\n"
        "__all__ = ['Net']\n"
        "Alias = Block\n"
        "class Net(Block):\n    pass\n"
        "class Head(tnn.Linear):\n    pass\n"
        "class Deep(layers.blocks.Block):\n    pass\n"
        "class Config:\n    pass\n"
        "class Err(ValueError):\n    pass\n"
        "class Mystery(some_lib.Base):\n    pass\n"
        "def build():\n    return Net()\n");
  Write("src/proj/layers/__init__.py", "");
  Write("src/proj/layers/blocks.py",
        "from torch.nn import Module\nclass Base(Module):\n    _version = 2\n"
        "class Block(Base):\n    def _load_from_state_dict(self, *a):\n        pass\n");
  // A namespace package (no __init__.py) and a script with a main guard.
  Write("src/nspkg/tool.py", "import torch\nclass T(torch.nn.Sequential):\n    pass\n");
  Write("scripts/train.py",
        "import torch.nn as nn\nclass Model(nn.Module):\n    pass\n"
        "if __name__ == \"__main__\":\n    Model()\n");

  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, &problems);
  EXPECT_TRUE(problems.empty());

  const ClassInfo* net = index.FindClass("proj.models.Net");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->module, "proj.models");
  EXPECT_EQ(net->position.line, 7u);
  EXPECT_EQ(index.Classify(*net).kind, ModuleKind::kModule);
  EXPECT_EQ(index.Classify(*net).chain.back(), "torch.nn.Module");
  // Re-exported through __init__ (star import with __all__, aliased import).
  EXPECT_EQ(index.FindClass("proj.Net"), net);
  const ClassInfo* block = index.FindClass("proj.layers.blocks.Block");
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(index.FindClass("proj.PublicBlock"), block);
  EXPECT_TRUE(block->overrides_load_from_state_dict);
  EXPECT_EQ(index.FindClass("proj.layers.blocks.Base")->version, 2);
  // Names not in __all__ are not re-exported by the star import.
  EXPECT_EQ(index.FindClass("proj.Head"), nullptr);

  EXPECT_EQ(index.Classify(*index.FindClass("proj.models.Head")).kind, ModuleKind::kModule);
  EXPECT_EQ(index.Classify(*index.FindClass("proj.models.Deep")).kind, ModuleKind::kModule);
  EXPECT_EQ(index.Classify(*index.FindClass("proj.models.Config")).kind, ModuleKind::kNotModule);
  EXPECT_EQ(index.Classify(*index.FindClass("proj.models.Err")).kind, ModuleKind::kNotModule);
  EXPECT_EQ(index.Classify(*index.FindClass("proj.models.Mystery")).kind, ModuleKind::kUnknown);
  EXPECT_EQ(index.Classify(*index.FindClass("nspkg.tool.T")).kind, ModuleKind::kModule);

  // Aliases and functions.
  Symbol alias = index.Resolve("proj.models", "Alias");
  EXPECT_EQ(alias.kind, Symbol::Kind::kClass);
  EXPECT_EQ(alias.cls, block);
  EXPECT_NE(index.FindFunction("proj.models.build"), nullptr);
  EXPECT_EQ(index.Resolve("proj.models", "nn.Linear").qualified_name, "torch.nn.Linear");
  EXPECT_EQ(index.Resolve("proj.models", "nn.Linear").kind, Symbol::Kind::kExternal);

  // A script run directly defines its classes in __main__ too.
  const ClassInfo* model = index.FindClass("scripts.train.Model");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(index.FindClass("__main__.Model"), model);
  ASSERT_EQ(model->other_names.size(), 2u);
  EXPECT_EQ(model->other_names[0], "__main__.Model");
  // And, run from its own folder (`cd scripts && python train.py`), the
  // scripts beside it import it as `train`.
  EXPECT_EQ(model->other_names[1], "train.Model");
  EXPECT_EQ(index.FindClass("train.Model"), model);
  EXPECT_NE(index.FindModule("train"), nullptr);
  // A package's modules keep their one name.
  EXPECT_EQ(index.FindClass("models.Net"), nullptr);
}

// A monorepo of script folders: each script imports its neighbours by their
// bare names. Names two folders share (`models`) go to neither.
TEST_F(ModuleIndexTest, EachScriptFolderIsItsOwnImportRoot) {
  Write("projects/det/models.py", "import torch.nn as nn\nclass Det(nn.Module):\n    pass\n");
  Write("projects/det/train.py", "from models import Det\n");
  Write("projects/det/lib/__init__.py", "");
  Write("projects/det/lib/heads.py", "import torch.nn as nn\nclass Head(nn.Module):\n    pass\n");
  Write("projects/seg/nets.py", "import torch.nn as nn\nclass Seg(nn.Module):\n    pass\n");
  Write("projects/seg/models.py", "import torch.nn as nn\nclass Other(nn.Module):\n    pass\n");
  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, &problems);
  const ClassInfo* seg = index.FindClass("projects.seg.nets.Seg");
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(index.FindClass("nets.Seg"), seg);
  EXPECT_EQ(index.FindClass("lib.heads.Head"), index.FindClass("projects.det.lib.heads.Head"));
  EXPECT_NE(index.FindClass("lib.heads.Head"), nullptr);
  EXPECT_EQ(index.FindModule("models"), nullptr);  // two folders' models.py: ambiguous
  EXPECT_EQ(index.FindClass("models.Det"), nullptr);
  EXPECT_NE(index.Resolve("projects.det.train", "Det").kind, Symbol::Kind::kClass);
}

TEST_F(ModuleIndexTest, IncrementalUpdateReparsesOneFile) {
  std::string text = "import torch.nn as nn\n\nclass A(nn.Module):\n    pass\n\nclass B(nn.Module):\n    pass\n";
  for (int i = 0; i < 300; ++i) text += "def f" + std::to_string(i) + "(x):\n    return x + " + std::to_string(i) + "\n";
  Write("m.py", text);
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  const std::string path = (root_ / "m.py").string();
  ASSERT_NE(index.FindClass("m.A"), nullptr);

  // Rename B to C: replace "B" at its byte offset.
  size_t at = text.find("class B") + 6;
  std::string edited = text;
  edited.replace(at, 1, "Cc");
  TSInputEdit edit{};
  edit.start_byte = static_cast<uint32_t>(at);
  edit.old_end_byte = static_cast<uint32_t>(at + 1);
  edit.new_end_byte = static_cast<uint32_t>(at + 2);
  edit.start_point = {5, 6};
  edit.old_end_point = {5, 7};
  edit.new_end_point = {5, 8};
  auto update = index.UpdateFile(path, edit, edited);
  ASSERT_TRUE(update.ok()) << update.error().message;
  EXPECT_TRUE(update->incremental);
  EXPECT_EQ(update->removed_classes, std::vector<std::string>{"m.B"});
  EXPECT_EQ(update->changed_classes, std::vector<std::string>{"m.Cc"});
  EXPECT_EQ(index.FindClass("m.B"), nullptr);
  ASSERT_NE(index.FindClass("m.Cc"), nullptr);
  EXPECT_EQ(index.Classify(*index.FindClass("m.Cc")).kind, ModuleKind::kModule);

  // A bad edit is refused with a diagnostic, not a crash.
  TSInputEdit bad{};
  bad.start_byte = 1u << 30;
  EXPECT_FALSE(index.UpdateFile(path, bad, edited).ok());
  EXPECT_FALSE(index.UpdateFile("/nope.py", edit, edited).ok());
}

TEST_F(ModuleIndexTest, BrokenSourceIsIndexedAroundErrors) {
  Write("broken.py", "import torch.nn as nn\nclass Ok(nn.Module):\n    pass\nclass (:\n  def\n");
  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, &problems);
  ASSERT_EQ(index.files().size(), 1u);
  EXPECT_TRUE(index.files()[0]->has_syntax_errors);
  EXPECT_NE(index.FindClass("broken.Ok"), nullptr);
}


TEST_F(ModuleIndexTest, TreesAreBuiltOnFirstUseWithTheSameFacts) {
  Write("pkg/__init__.py", "from .layers import Block\n");
  Write("pkg/layers.py",
        "import torch.nn as nn\n"
        "HIDDEN = 256\n"
        "Alias = nn.Linear\n"
        "class Block(nn.Module):\n"
        "    _version = 2\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(HIDDEN, 4)\n"
        "def helper(x):\n"
        "    return x\n");
  Write("pkg/other.py", "x = 1\n");
  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, &problems);
  EXPECT_TRUE(problems.empty());
  ModuleIndex::Stats st = index.stats();
  EXPECT_EQ(st.files, 3u);
  EXPECT_EQ(st.prescanned, 3u);
  EXPECT_EQ(st.materialized, 0u);

  // Names, classification and re-exports need no tree.
  std::vector<const ClassInfo*> all = index.AllClasses();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]->qualified_name, "pkg.layers.Block");
  EXPECT_EQ(index.Classify(*all[0]).kind, ModuleKind::kModule);
  EXPECT_EQ(all[0]->version, 2);
  EXPECT_EQ(index.Resolve("pkg.layers", "Alias").qualified_name, "torch.nn.Linear");
  EXPECT_EQ(index.stats().materialized, 0u);
  EXPECT_TRUE(ts_node_is_null(all[0]->node));

  // Handing the class out builds its file's tree; the pointer stays valid.
  const ClassInfo* block = index.FindClass("pkg.Block");
  ASSERT_EQ(block, all[0]);
  ASSERT_FALSE(ts_node_is_null(block->node));
  const IndexedFile* file = index.FindFile(block->path);
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->materialized());
  EXPECT_EQ(file->parsed.Text(Field(block->node, "name")), "Block");
  EXPECT_FALSE(file->has_syntax_errors);
  EXPECT_EQ(index.stats().materialized, 1u);

  // Module-level values come with their node.
  Symbol hidden = index.Resolve("pkg.layers", "HIDDEN");
  ASSERT_EQ(hidden.kind, Symbol::Kind::kAssignment);
  EXPECT_EQ(file->parsed.Text(hidden.assignment), "256");
  const FunctionInfo* helper = index.FindFunction("pkg.layers.helper");
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(IsType(helper->node, "function_definition"));

  // Any use of a tree builds it, as call-site extraction does.
  const IndexedFile* other = index.files()[2].get();
  EXPECT_EQ(other->info.module_name, "pkg.other");
  EXPECT_FALSE(other->materialized());
  EXPECT_TRUE(other->parsed.tree);
  EXPECT_TRUE(other->materialized());
  EXPECT_TRUE(IsType(other->parsed.Root(), "module"));
  EXPECT_EQ(other->assignments.size(), 1u);
  EXPECT_FALSE(ts_node_is_null(other->assignments.at("x")));

  index.MaterializeAll();
  st = index.stats();
  EXPECT_EQ(st.materialized, 3u);
  EXPECT_EQ(st.mismatches, 0u);
}

// Building many files' trees on several threads gives each file the tree
// (and the nodes) one thread would.
TEST_F(ModuleIndexTest, TreesBuiltConcurrentlyEqualTreesBuiltOneByOne) {
  for (int i = 0; i < 24; ++i) {
    std::string body = "import torch.nn as nn\nWIDTH = " + std::to_string(i) + "\n";
    for (int k = 0; k < 1 + i % 5; ++k) {
      body += "class Block" + std::to_string(k) + "(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.fc = nn.Linear(WIDTH, " + std::to_string(k + 1) + ")\n";
    }
    body += "def build():\n    return Block0()\n";
    Write("pkg/m" + std::to_string(i) + ".py", body);
  }
  ModuleIndex one = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  ModuleIndex many = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  one.MaterializeAll();
  std::vector<const IndexedFile*> files;
  for (const auto& f : many.files()) files.push_back(f.get());
  many.MaterializeConcurrently(files, 4);
  EXPECT_EQ(many.stats().materialized, files.size());
  EXPECT_EQ(many.stats().mismatches, 0u);
  ASSERT_EQ(one.files().size(), many.files().size());
  for (size_t i = 0; i < files.size(); ++i) {
    const IndexedFile& a = *one.files()[i];
    const IndexedFile& b = *many.files()[i];
    char* sa = ts_node_string(a.parsed.Root());
    char* sb = ts_node_string(b.parsed.Root());
    EXPECT_STREQ(sa, sb) << b.info.path;
    free(sa);
    free(sb);
    ASSERT_EQ(a.classes.size(), b.classes.size());
    for (size_t k = 0; k < b.classes.size(); ++k) {
      ASSERT_FALSE(ts_node_is_null(b.classes[k].node));
      EXPECT_EQ(b.parsed.Text(Field(b.classes[k].node, "name")), b.classes[k].name);
    }
    ASSERT_FALSE(b.functions.empty());
    EXPECT_TRUE(IsType(b.functions[0].node, "function_definition"));
  }
}

// torchvision.models: `from .alexnet import *` in the package binds the
// builder `alexnet` over the submodule of the same name, so
// `from pkg.models import alexnet` is the function (the load site was left
// unlinked to the builder). A name the package does not rebind stays the
// submodule.
TEST_F(ModuleIndexTest, APackageNameRebindingItsSubmoduleIsWhatThePackageBound) {
  Write("pkg/__init__.py", "");
  Write("pkg/models/__init__.py", "from .alexnet import *\nfrom .resnet import *\n");
  Write("pkg/models/alexnet.py",
        "__all__ = [\"AlexNet\", \"alexnet\"]\n"
        "class AlexNet:\n    pass\n"
        "def alexnet():\n    return AlexNet()\n");
  Write("pkg/models/resnet.py", "__all__ = [\"resnet18\"]\ndef resnet18():\n    return None\n");
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  Symbol builder = index.ResolveAbsolute("pkg.models.alexnet");
  EXPECT_EQ(builder.kind, Symbol::Kind::kFunction);
  EXPECT_EQ(builder.qualified_name, "pkg.models.alexnet.alexnet");
  EXPECT_EQ(index.Resolve("pkg.models", "alexnet").kind, Symbol::Kind::kFunction);
  EXPECT_EQ(index.ResolveAbsolute("pkg.models.resnet").kind, Symbol::Kind::kModule);
  EXPECT_EQ(index.ResolveAbsolute("pkg.models.resnet.resnet18").kind, Symbol::Kind::kFunction);
  EXPECT_EQ(index.ResolveAbsolute("pkg.models.alexnet.AlexNet").kind, Symbol::Kind::kClass);
}

// torchvision.models.mobilenet: `__all__ = mv2_all + mv3_all` is not read;
// a star import of it takes the public names (it took none, so
// `from pkg.models import mobilenet_v2` resolved to nothing).
TEST_F(ModuleIndexTest, AComputedAllExportsThePublicNames) {
  Write("pkg/__init__.py", "");
  Write("pkg/models/__init__.py", "from .mobilenet import *\n");
  Write("pkg/models/mobilenetv2.py", "__all__ = [\"mobilenet_v2\"]\ndef mobilenet_v2():\n    return None\n");
  Write("pkg/models/mobilenet.py",
        "from .mobilenetv2 import *\n"
        "from .mobilenetv2 import __all__ as mv2_all\n"
        "__all__ = mv2_all\n"
        "def _private():\n    return None\n");
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  Symbol builder = index.Resolve("pkg.models", "mobilenet_v2");
  EXPECT_EQ(builder.kind, Symbol::Kind::kFunction);
  EXPECT_EQ(builder.qualified_name, "pkg.models.mobilenetv2.mobilenet_v2");
  EXPECT_NE(index.Resolve("pkg.models", "_private").kind, Symbol::Kind::kFunction);
}

TEST_F(ModuleIndexTest, IncrementalUpdateOfAFileNotYetParsed) {
  std::string text = "import torch.nn as nn\nclass A(nn.Module):\n    pass\n";
  Write("m.py", text);
  ModuleIndex index = ModuleIndex::Build({root_.string()}, DiscoveryOptions{}, nullptr);
  const std::string path = (root_ / "m.py").string();
  ASSERT_FALSE(index.files()[0]->materialized());
  std::string edited = text + "class B(A):\n    pass\n";
  TSInputEdit edit{};
  edit.start_byte = edit.old_end_byte = static_cast<uint32_t>(text.size());
  edit.new_end_byte = static_cast<uint32_t>(edited.size());
  edit.start_point = edit.old_end_point = {3, 0};
  edit.new_end_point = {5, 0};
  auto update = index.UpdateFile(path, edit, edited);
  ASSERT_TRUE(update.ok()) << update.error().message;
  EXPECT_TRUE(update->incremental);
  EXPECT_EQ(update->changed_classes, std::vector<std::string>{"m.B"});
  const ClassInfo* b = index.FindClass("m.B");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(index.Classify(*b).kind, ModuleKind::kModule);
  EXPECT_FALSE(ts_node_is_null(b->node));
}


// The facts a tree gives (ExtractFromTree), node identities included.
std::string TreeFacts(const IndexedFile& f) {
  std::ostringstream o;
  WriteImportFacts(f, o);
  o << "main " << f.has_main_guard << " errors " << f.has_syntax_errors << "\n";
  for (const auto& [name, node] : f.assignments) o << "assign " << name << " " << node.id << "\n";
  for (const auto& c : f.classes) {
    o << "class " << c.qualified_name << (c.nested ? " nested" : "") << " @" << c.position.line << ":"
      << c.position.column << " " << c.node.id << " bases";
    for (const auto& b : c.base_texts) o << " " << b;
    o << " methods";
    for (const auto& m : c.methods) o << " " << m;
    o << " v" << c.version.value_or(-1) << c.overrides_load_from_state_dict << c.overrides_get_extra_state
      << c.registers_load_pre_hook << c.overrides_state_dict << "\n";
  }
  for (const auto& fn : f.functions) {
    o << "def " << fn.qualified_name << " @" << fn.position.line << ":" << fn.position.column << " " << fn.node.id
      << "\n";
  }
  return o.str();
}

// Error-free trees are read statement by statement, not by the index query
// (which visits every node): both must give the same facts, in the same
// order, on every file of torch's, torchvision's and torchaudio's packages,
// and on the odd shapes below.
TEST(TreeFactsTest, TheStatementWalkAgreesWithTheIndexQuery) {
  std::vector<std::pair<std::string, std::string>> sources = {
      {"edge", R"(
import a, b.c as d
from . import e
from .f import (g, h as i)
from j import *
__all__ = ["A"]
__all__ += ["f"]
x = __all__ = ["B"]
if "__main__" == __name__:
    pass
if __name__ == "__main__":
    class Hidden:
        pass
@decorator
class A(Base, metaclass=M):
    _version = 2
    class Inner(nn.Module):
        def forward(self, x):
            return x
    def _load_from_state_dict(self, *a):
        pass
def f():
    class Local:
        pass
    import os
    __all__ = ["nothing"]
try:
    from k import L
except ImportError:
    L = None
else:
    M = 1
finally:
    N = 2
with ctx() as c:
    def in_with():
        pass
for _ in range(3):
    class InLoop:
        pass
else:
    O = 3
while False:
    def in_while():
        pass
match command:
    case "go":
        class InCase:
            pass
    case _:
        pass
)"}};
  for (const char* root : {"/usr/lib/python3/dist-packages/torch", "/usr/lib/python3/dist-packages/torchvision",
                           "/usr/lib/python3/dist-packages/torchaudio"}) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
      if (entry.path().extension() != ".py") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      sources.push_back({entry.path().string(), std::string((std::istreambuf_iterator<char>(in)),
                                                            std::istreambuf_iterator<char>())});
    }
  }
  size_t compared = 0;
  for (const auto& [path, source] : sources) {
    auto parsed = ParsePython(source);
    if (!parsed.ok()) continue;
    IndexedFile walked, queried;
    walked.info.path = queried.info.path = path;
    walked.info.module_name = queried.info.module_name = "pkg.mod";
    ExtractFromTree(parsed.value(), &walked);
    ExtractFromTree(parsed.value(), &queried, /*by_query=*/true);
    EXPECT_EQ(TreeFacts(walked), TreeFacts(queried)) << path;
    ++compared;
  }
  EXPECT_GT(compared, 1u);
  std::printf("compared %zu files\n", compared);
}

}  // namespace
}  // namespace ptlint
