// The embedded queries must be the .scm files, byte for byte (the .scm files
// are the single source; the header is generated from them).
#include "analyzer/python/python_queries.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analyzer/python/python_source.h"

namespace ptlint {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PythonQueries, EmbeddedTextEqualsTheScmFile) {
  std::string scm = ReadFile(std::string(PTLINT_SOURCE_DIR) + "/grammars/python/queries/index.scm");
  ASSERT_FALSE(scm.empty());
  if (std::getenv("PTLINT_REGENERATE_QUERIES") != nullptr && scm != kPythonQuery_index) {
    std::string header = ReadFile(std::string(PTLINT_SOURCE_DIR) + "/analyzer/python_queries.h");
    const std::string open = "kPythonQuery_index[] = R\"scm(";
    auto begin = header.find(open);
    auto end = header.find(")scm\";", begin);
    ASSERT_NE(begin, std::string::npos);
    header.replace(begin + open.size(), end - begin - open.size(), scm);
    std::ofstream(std::string(PTLINT_SOURCE_DIR) + "/analyzer/python_queries.h", std::ios::binary) << header;
    GTEST_SKIP() << "regenerated analyzer/python_queries.h; rebuild";
  }
  EXPECT_EQ(std::string(kPythonQuery_index), scm)
      << "grammars/python/queries/index.scm changed: run PTLINT_REGENERATE_QUERIES=1 python_queries_test";
}

TEST(PythonQueries, CompilesAgainstTheGrammar) {
  std::string error;
  EXPECT_NE(IndexQuery(&error), nullptr) << error;
}

TEST(PythonSource, ParsesAndSurvivesGarbage) {
  auto ok = ParsePython("class A(nn.Module):\n    pass\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ts_node_has_error(ok->Root()));
  // Hostile input: NUL bytes, unbalanced brackets, deep nesting.
  std::string garbage(4096, '(');
  garbage += std::string("\0\xff\xfe", 3);
  auto bad = ParsePython(garbage);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(ts_node_has_error(bad->Root()));
}

TEST(PythonSource, ModuleNamesAndRelativeImports) {
  EXPECT_EQ(ModuleNameFromPath("/r/pkg/sub/mod.py", "/r"), "pkg.sub.mod");
  EXPECT_EQ(ModuleNameFromPath("/r/pkg/__init__.py", "/r"), "pkg");
  EXPECT_EQ(ResolveRelativeModule("pkg.sub.mod", false, 1, "x"), "pkg.sub.x");
  EXPECT_EQ(ResolveRelativeModule("pkg.sub.mod", false, 2, ""), "pkg");
  EXPECT_EQ(ResolveRelativeModule("pkg.sub", true, 1, "x"), "pkg.sub.x");
  EXPECT_EQ(ResolveRelativeModule("pkg", false, 3, "x"), "");
}

}  // namespace
}  // namespace ptlint
