// PTL702 main-class-pickled: a script that runs as `__main__` pickles an
// instance of a class it defines itself, so the file names `__main__.X`.
#ifndef PTLINT_RULES_SAVING_PTL702_MAIN_CLASS_PICKLED_H_
#define PTLINT_RULES_SAVING_PTL702_MAIN_CLASS_PICKLED_H_

#include "rules/core/rule.h"

namespace ptlint {

class MainClassPickledRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckProject(const ProjectContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SAVING_PTL702_MAIN_CLASS_PICKLED_H_
