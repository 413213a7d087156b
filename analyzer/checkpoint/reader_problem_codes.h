// ReaderProblem codes that layers above the reader act on.
#ifndef PTLINT_ANALYZER_CHECKPOINT_READER_PROBLEM_CODES_H_
#define PTLINT_ANALYZER_CHECKPOINT_READER_PROBLEM_CODES_H_

#include <string_view>

namespace ptlint {

// A pickle torch would (or might) unpickle that the reader could not read: a
// record it could not inflate, one over the inflate limit, a truncated tar
// member, a member type or link it cannot follow. Nothing vouches for such a
// pickle, so the security analysis reports it as PTL604 (error); the
// problem's message says why it could not be read (the underlying code is
// kept at its end, in brackets).
inline constexpr std::string_view kUnvouchedPickleCode = "pickle.unvouched";

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_READER_PROBLEM_CODES_H_
