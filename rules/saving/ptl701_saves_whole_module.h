// PTL701 saves-whole-module: `torch.save(model, ...)` pickles the object, tying
// the file to today's module paths, class names and attributes.
#ifndef PTLINT_RULES_SAVING_PTL701_SAVES_WHOLE_MODULE_H_
#define PTLINT_RULES_SAVING_PTL701_SAVES_WHOLE_MODULE_H_

#include "rules/core/rule.h"

namespace ptlint {

class SavesWholeModuleRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckProject(const ProjectContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SAVING_PTL701_SAVES_WHOLE_MODULE_H_
