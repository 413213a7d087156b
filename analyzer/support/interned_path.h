// InternedPath: a file path stored once per process, copied as a pointer.
//
// The predictor stamps a source location on every key, slot and instance it
// builds, and copies them whole when a memoised construction is reused:
// with the path as a std::string, each copy of a location allocated and
// copied the path (torchvision's paths are ~40 bytes, past the small-string
// buffer). Interned, a location is 16 bytes and copying it allocates
// nothing. The table keeps every distinct path for the life of the process:
// it grows with the number of files seen, never with the work done on them.
#ifndef PTLINT_ANALYZER_SUPPORT_INTERNED_PATH_H_
#define PTLINT_ANALYZER_SUPPORT_INTERNED_PATH_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace ptlint {

class InternedPath {
 public:
  InternedPath() = default;
  InternedPath(std::string_view path);  // NOLINT(google-explicit-constructor): a path reads as a string
  InternedPath(const std::string& path) : InternedPath(std::string_view(path)) {}  // NOLINT(google-explicit-constructor)
  InternedPath(const char* path) : InternedPath(std::string_view(path)) {}  // NOLINT(google-explicit-constructor)

  const std::string& str() const { return text_ != nullptr ? *text_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return str(); }    // NOLINT(google-explicit-constructor)

  bool empty() const { return text_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

  // Equal paths are one pointer (the empty path is null).
  friend bool operator==(const InternedPath& a, const InternedPath& b) { return a.text_ == b.text_; }
  friend bool operator!=(const InternedPath& a, const InternedPath& b) { return a.text_ != b.text_; }
  friend bool operator==(const InternedPath& a, std::string_view b) { return a.str() == b; }
  friend bool operator!=(const InternedPath& a, std::string_view b) { return a.str() != b; }
  friend bool operator==(const InternedPath& a, const std::string& b) { return a.str() == b; }
  friend bool operator!=(const InternedPath& a, const std::string& b) { return a.str() != b; }
  friend bool operator==(const InternedPath& a, const char* b) { return a.str() == b; }
  friend bool operator!=(const InternedPath& a, const char* b) { return a.str() != b; }
  // By text, as the std::string it replaces.
  friend bool operator<(const InternedPath& a, const InternedPath& b) { return a.str() < b.str(); }
  friend std::string operator+(const InternedPath& a, std::string_view b) { return a.str() + std::string(b); }
  friend std::string operator+(std::string_view a, const InternedPath& b) { return std::string(a) + b.str(); }
  friend std::string operator+(const InternedPath& a, const char* b) { return a.str() + b; }
  friend std::string operator+(const char* a, const InternedPath& b) { return a + b.str(); }
  friend std::string operator+(const InternedPath& a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(const std::string& a, const InternedPath& b) { return a + b.str(); }
  friend std::ostream& operator<<(std::ostream& out, const InternedPath& p) { return out << p.str(); }

 private:
  static const std::string& Empty();
  const std::string* text_ = nullptr;  // owned by the process-wide table
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_INTERNED_PATH_H_
