// Value-or-error results for code that reads hostile input.
//
// Readers never throw across component boundaries: a malformed, truncated
// or malicious file becomes an Error that says what is wrong, where (byte
// offset), and what the user should do about it.
#ifndef PTLINT_ANALYZER_SUPPORT_RESULT_H_
#define PTLINT_ANALYZER_SUPPORT_RESULT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ptlint {

struct Error {
  // Stable machine-readable identifier, dotted, e.g. "zip.no-central-directory",
  // "pickle.truncated", "pickle.limit.memo". Tests and JSON output use it.
  std::string code;
  // What is wrong, in one sentence a senior engineer would write.
  std::string message;
  // What the user should do about it ("re-download the file and check its
  // hash", "run `git lfs pull`"). May be empty when there is nothing to do.
  std::string hint;
  // Byte offset in the input the error refers to, or -1.
  int64_t offset = -1;
};

inline Error MakeError(std::string code, std::string message,
                       std::string hint = {}, int64_t offset = -1) {
  return Error{std::move(code), std::move(message), std::move(hint), offset};
}

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_RESULT_H_
