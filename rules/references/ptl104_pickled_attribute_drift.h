// PTL104 pickled-attribute-drift: a whole pickled nn.Module carries the
// instance __dict__ of the code that saved it. When today's `__init__` sets
// attributes the pickle lacks (yolov5's `'Upsample' object has no attribute
// 'recompute_scale_factor'`), the load succeeds and forward() fails; when the
// pickle holds submodules, parameters or buffers today's class no longer
// registers, the loaded object is not today's model.
#ifndef PTLINT_RULES_REFERENCES_PTL104_PICKLED_ATTRIBUTE_DRIFT_H_
#define PTLINT_RULES_REFERENCES_PTL104_PICKLED_ATTRIBUTE_DRIFT_H_

#include <map>
#include <string>
#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

class PickledAttributeDriftRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

// What a class's source says about its instances' attributes.
struct ClassAttributeFacts {
  struct Set {
    SourcePosition at;
    std::string path;
    bool in_init = false;        // set by __init__ (the class's or a project base's)
    bool unconditional = false;  // in __init__ outside if/for/while/try/match
  };
  std::map<std::string, Set> sets;             // self.X = ..., register_*("X", ...)
  std::map<std::string, SourcePosition> reads; // self.X read outside __init__ (first read)
  std::map<std::string, std::string> read_in;  // X -> "Cls.forward"
  std::vector<std::string> class_level;        // X = ... in a class body (a default)
  bool dynamic = false;       // setattr(self, ...), self.__dict__, non-literal register_* names
  bool custom_state = false;  // __setstate__ / __getattr__ / __getattribute__ override
  bool complete = true;       // every base is a project class or torch.nn.Module
};

// Collects the facts for `cls` and its project base classes.
ClassAttributeFacts CollectClassAttributeFacts(const ModuleIndex& index, const ClassInfo& cls);

}  // namespace ptlint

#endif  // PTLINT_RULES_REFERENCES_PTL104_PICKLED_ATTRIBUTE_DRIFT_H_
