#include "analyzer/support/interned_path.h"

#include <cstring>
#include <mutex>
#include <unordered_set>

namespace ptlint {

namespace {

struct Table {
  std::mutex lock;
  std::unordered_set<std::string> paths;  // node-based: an element's address never changes
};

Table& TheTable() {
  static Table* table = new Table;  // never destroyed: interned paths outlive every static
  return *table;
}

}  // namespace

InternedPath::InternedPath(std::string_view path) {
  if (path.empty()) return;
  // Most locations are made one after another in the same file: a per-thread
  // memory of the last path interned skips the table (and its lock).
  thread_local const std::string* last = nullptr;
  if (last != nullptr && last->size() == path.size() && std::memcmp(last->data(), path.data(), path.size()) == 0) {
    text_ = last;
    return;
  }
  Table& table = TheTable();
  std::lock_guard<std::mutex> held(table.lock);
  text_ = &*table.paths.emplace(path).first;
  last = text_;
}

const std::string& InternedPath::Empty() {
  static const std::string* empty = new std::string;
  return *empty;
}

}  // namespace ptlint
