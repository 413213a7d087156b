// Tree navigation helpers must return exactly what the tree-sitter calls they
// replace return: the interpreter's results depend on every node it visits.
#include "analyzer/python/python_source.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ptlint {
namespace {

// Every construct whose children tree-sitter-python hides or aliases:
// supertypes (expression, primary_expression), `is not` / `not in` (aliased
// anonymous nodes), empty blocks (a hidden token aliased to `block`), `print`
// and `type` aliased to identifiers, parenthesized splats, match patterns,
// f-string interpolations, comments (extras) between arguments.
constexpr const char* kSource = R"py(
import os, torch.nn as nn
from ..pkg import (a, b as c)  # trailing
print >> f, "x"
type Alias = list[int]
class Net(nn.Module, metaclass=Meta):
    """Doc."""
    x: int = 4
    def __init__(self, a, /, b: int = 2, *args, c, d=3, **kw):
        super().__init__()
        if a is not None and b not in (1, 2): pass
        elif not a: return
        else:
            self.l = nn.Sequential(*[nn.Linear(a, b) for _ in range(3)], **kw)
        for i, (j, k) in enumerate(zip(x, y)): self.h = f"{i!r:>3}{j}" 'tail' r"\d"
        while False: break
        try:
            v = lambda p, q=1: p + q if q else -p
        except (ValueError, TypeError) as e:
            raise
        finally:
            del v
        with open(p) as fh, other: y = {**d, 'k': [*s, 1], 2: {1, 2}}
        match cmd:
            case [x, *rest] | (x, rest) if x: pass
            case {"k": v, **others}: pass
            case Point(x=0) as pt: pass
        z = (yield)
        w = f(a,
              # a comment between arguments
              b, *c, d=1, **e)
        q = a[1:2, ...][::2] @ b ** -c
        global g; nonlocal n
        assert x, "msg"
        print("x", end="")
@decorator(arg)
async def h(*, k): await k
)py";

bool SameNode(TSNode a, TSNode b) {
  return a.id == b.id && a.tree == b.tree && std::memcmp(a.context, b.context, sizeof(a.context)) == 0;
}

// Walks the whole tree; every node's NamedChildren must equal its
// ts_node_named_child(i) for each i.
void ExpectSameChildren(TSNode node, int* checked) {
  std::vector<TSNode> fast = NamedChildren(node);
  uint32_t n = ts_node_named_child_count(node);
  ASSERT_EQ(fast.size(), n) << ts_node_type(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode slow = ts_node_named_child(node, i);
    ASSERT_TRUE(SameNode(fast[i], slow)) << ts_node_type(node) << " child " << i;
  }
  ++*checked;
  uint32_t all = ts_node_child_count(node);
  for (uint32_t i = 0; i < all; ++i) ExpectSameChildren(ts_node_child(node, i), checked);
}

TEST(PythonSource, NamedChildrenAreTheNodesNamedChildReturns) {
  auto parsed = ParsePython(kSource);
  ASSERT_TRUE(parsed.ok());
  int checked = 0;
  ExpectSameChildren(parsed.value().Root(), &checked);
  EXPECT_GT(checked, 500);
}

TEST(PythonSource, NamedChildrenOfTheNullNodeAreNone) { EXPECT_TRUE(NamedChildren(TSNode{}).empty()); }

TEST(PythonSource, FieldAndIsTypeAnswerAsTreeSitterDoes) {
  auto parsed = ParsePython("f(x)\nclass C: pass\n");
  ASSERT_TRUE(parsed.ok());
  TSNode call = ts_node_named_child(ts_node_named_child(parsed.value().Root(), 0), 0);
  ASSERT_TRUE(IsType(call, "call"));
  EXPECT_FALSE(IsType(call, "cal"));
  EXPECT_FALSE(IsType(call, "calls"));
  EXPECT_FALSE(IsType(call, ""));
  EXPECT_FALSE(IsType(TSNode{}, "call"));
  EXPECT_TRUE(SameNode(Field(call, "function"), ts_node_child_by_field_name(call, "function", 8)));
  EXPECT_TRUE(SameNode(Field(call, "arguments"), ts_node_child_by_field_name(call, "arguments", 9)));
  EXPECT_TRUE(ts_node_is_null(Field(call, "body")));
  EXPECT_TRUE(ts_node_is_null(Field(call, "no_such_field")));
  EXPECT_EQ(FieldId(tree_sitter_python(), "no_such_field"), 0);
  // A name held in a temporary buffer is looked up by its content.
  std::string name = "function";
  EXPECT_TRUE(SameNode(Field(call, name.c_str()), Field(call, "function")));
}

}  // namespace
}  // namespace ptlint
