// Hugging Face sharded checkpoints: *.index.json and the shards it names.
#include "analyzer/checkpoint/container_reader.h"

#include <nlohmann/json.hpp>

namespace ptlint::container_reader {

namespace {

uint64_t TorchDtypeSize(std::string_view dtype) {
  static const std::map<std::string_view, uint64_t> kSizes = {
      {"float64", 8}, {"float32", 4}, {"float16", 2}, {"bfloat16", 2}, {"int64", 8},
      {"int32", 4},   {"int16", 2},   {"int8", 1},    {"uint8", 1},    {"bool", 1},
      {"complex64", 8}, {"complex128", 16}, {"qint8", 1}, {"quint8", 1}, {"qint32", 4},
      {"quint4x2", 1}, {"quint2x4", 1}, {"uint16", 2}, {"uint32", 4}, {"uint64", 8},
      {"float8_e4m3fn", 1}, {"float8_e5m2", 1}, {"float8_e4m3fnuz", 1}, {"float8_e5m2fnuz", 1},
      {"float8_e8m0fnu", 1}};
  auto it = kSizes.find(dtype);
  return it == kSizes.end() ? 0 : it->second;
}

}  // namespace

void Reader::ReadShardedIndex(const ByteSource& source) {
  cp_.format = ContainerFormat::kShardedIndex;
  cp_.layout = Layout::kSharded;
  if (source.size() > kMaxIndexJsonBytes) {
    Problem("index.too-large", Severity::kError,
            "the index is " + std::to_string(source.size()) + " bytes; a weight map is a few MB at most",
            "check that this is really a *.index.json", {}, -1);
    return;
  }
  nlohmann::json index;
  // nlohmann keeps one value per duplicate key; a weight_map that names a
  // tensor twice must be seen, so record every (key, shard) pair as parsed.
  std::vector<std::pair<std::string, std::string>> weight_map_pairs;
  std::string top_key, last_key;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key) {
      if (depth == 1) top_key = parsed.is_string() ? parsed.get<std::string>() : std::string();
      if (depth == 2) last_key = parsed.is_string() ? parsed.get<std::string>() : std::string();
    } else if (event == nlohmann::json::parse_event_t::value && depth == 2 && top_key == "weight_map" &&
               parsed.is_string() && weight_map_pairs.size() < 10'000'000) {
      weight_map_pairs.emplace_back(last_key, parsed.get<std::string>());
    }
    return true;
  };
  try {
    index = nlohmann::json::parse(source.All(), on_event);
  } catch (const nlohmann::json::exception& e) {
    Problem("index.bad-json", Severity::kError, std::string("the index is not valid JSON: ") + e.what(),
            "re-download the index file", {}, -1);
    return;
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    Problem("index.no-weight-map", Severity::kError,
            "the index has no `weight_map` object", "re-download the index file", {}, -1);
    return;
  }
  std::optional<uint64_t> total_size;
  if (index.contains("metadata") && index["metadata"].is_object() &&
      index["metadata"].contains("total_size")) {
    const nlohmann::json& t = index["metadata"]["total_size"];
    if (t.is_number_unsigned()) total_size = t.get<uint64_t>();
    else if (t.is_number_integer() && t.get<int64_t>() >= 0) total_size = static_cast<uint64_t>(t.get<int64_t>());
    // A float outside [0, 2^64) (or NaN) has no uint64 value: converting it is undefined
    // behaviour, so such a total_size is simply not recorded.
    else if (t.is_number_float() && t.get<double>() >= 0 && t.get<double>() < 18446744073709551616.0)
      total_size = static_cast<uint64_t>(t.get<double>());
    if (total_size) cp_.records["index.total_size"] = std::to_string(*total_size);
  }
  // weight_map: tensor -> shard, kept in file order of shards' first use.
  std::map<std::string, std::string> wanted_shard;
  std::vector<std::string> shard_order;
  std::map<std::string, std::vector<std::string>> listed_in_shard;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string()) {
      Problem("index.bad-weight-map", Severity::kError,
              "weight_map[\"" + Excerpt(it.key()) + "\"] is not a file name",
              "fix or re-download the index file", {}, -1);
      continue;
    }
    std::string shard = it.value().get<std::string>();
    wanted_shard[it.key()] = shard;
    if (!listed_in_shard.count(shard)) shard_order.push_back(shard);
    listed_in_shard[shard].push_back(it.key());
  }
  {
    std::map<std::string, std::vector<std::string>> listed;
    for (const auto& [name, shard] : weight_map_pairs) listed[name].push_back(shard);
    for (const auto& [name, shards] : listed) {
      if (shards.size() < 2) continue;
      std::string list;
      for (const std::string& s : shards) list += (list.empty() ? "`" : ", `") + s + "`";
      Problem("index.duplicate-tensor", Severity::kError,
              "weight_map lists tensor `" + name + "` " + std::to_string(shards.size()) +
                  " times (" + list + "); JSON readers keep only the last one, `" + shards.back() +
                  "`",
              "keep one entry per tensor: regenerate the index with save_pretrained", shards.back());
    }
  }
  std::filesystem::path folder = std::filesystem::path(cp_.path).parent_path();
  std::map<std::string, std::vector<std::string>> holders;  // tensor -> shards holding it
  std::set<std::string> unreadable;
  uint64_t tensor_bytes = 0;
  bool bytes_known = true;
  int shard_count = 0;
  for (const std::string& shard : shard_order) {
    if (++shard_count > kMaxShards) break;
    const std::vector<std::string>& names = listed_in_shard[shard];
    std::string example = names.front() + (names.size() > 1 ? " and " + std::to_string(names.size() - 1) + " more" : "");
    cp_.record_names.push_back(shard);
    std::filesystem::path rel(shard);
    bool escapes = shard.empty() || rel.is_absolute() || shard.find('\\') != std::string::npos ||
                   shard.find('\0') != std::string::npos;
    for (const auto& part : rel) {
      if (part == "..") escapes = true;
    }
    if (escapes) {
      unreadable.insert(shard);
      Problem("index.shard-path-escapes", Severity::kError,
              "weight_map sends " + std::to_string(names.size()) + " tensor(s) (" + example +
                  ") to shard \"" + Excerpt(shard, 120) + "\", a path outside the index's folder; "
                  "its tensors are not counted as the checkpoint's, but the file is scanned on its own",
              "shards must be plain file names next to the index; a path with `..` or an absolute "
              "path makes a loader read arbitrary files: fix the index",
              shard);
      // A loader that follows the index still unpickles that file: scan it
      // (security only; it is not one of this checkpoint's shards).
      if (depth_ == 0 && shard.find('\0') == std::string::npos) {
        std::filesystem::path target = rel.is_absolute() ? rel : folder / rel;
        std::error_code ec;
        // Regular files only: a device or FIFO named by a hostile index must
        // not block the run.
        if (!std::filesystem::is_regular_file(target, ec)) continue;
        if (Result<std::unique_ptr<ByteSource>> opened = OpenFileByteSource(target.string()); opened.ok()) {
          Checkpoint outside;
          outside.path = target.string();
          Reader(outside, options_, target.string(), depth_ + 1).Read(**opened);
          for (auto* list : {&outside.pickles, &outside.unread_pickles}) {
            for (PickleStream& p : *list) {
              p.record = shard + ":" + p.record;
              cp_.unread_pickles.push_back(std::move(p));
            }
          }
        }
      }
      continue;
    }
    if (depth_ > 0) continue;
    std::string shard_path = (folder / rel).string();
    Result<std::unique_ptr<ByteSource>> opened = OpenFileByteSource(shard_path);
    if (!opened.ok()) {
      unreadable.insert(shard);
      Problem("index.missing-shard", Severity::kError,
              "shard `" + shard + "` named in the index for " + std::to_string(names.size()) +
                  " tensor(s) (" + example + ") cannot be opened: " + opened.error().message,
              "download the missing shard (all files matching the index), or fix the index", shard);
      continue;
    }
    Checkpoint sub;
    sub.path = shard_path;
    Reader(sub, options_, shard_path, depth_ + 1).Read(**opened);
    if (sub.format == ContainerFormat::kShardedIndex) {
      unreadable.insert(shard);
      Problem("index.nested-index", Severity::kError,
              "shard `" + shard + "` is itself an index; shards hold weights",
              "fix the index", shard);
      continue;
    }
    int pickle_base = static_cast<int>(cp_.pickles.size());
    for (PickleStream& p : sub.pickles) {
      p.index += pickle_base;
      cp_.pickles.push_back(std::move(p));
    }
    for (GlobalUse& g : sub.globals) {
      g.pickle += pickle_base;
      cp_.globals.push_back(std::move(g));
    }
    // What the shard holds that its loader would not read is still scanned.
    for (PickleStream& p : sub.unread_pickles) {
      p.record = shard + ":" + p.record;
      cp_.unread_pickles.push_back(std::move(p));
    }
    for (ReaderProblem& p : sub.problems) {
      p.message = "shard `" + shard + "`: " + p.message;
      p.record = p.record.empty() ? shard : shard + ":" + p.record;
      cp_.problems.push_back(std::move(p));
    }
    for (StorageInfo& s : sub.storages) {
      s.key = shard + ":" + s.key;
      cp_.storages.push_back(std::move(s));
    }
    for (auto& group : sub.tied_groups) cp_.tied_groups.push_back(std::move(group));
    ShardInfo info;
    info.file = shard;
    for (TensorInfo& t : sub.tensors) {
      t.pickle += pickle_base;
      t.storage_key = shard + ":" + t.storage_key;
      info.tensors.push_back(t.name);
      holders[t.name].push_back(shard);
      uint64_t element = TorchDtypeSize(t.dtype);
      uint64_t bytes = 0;
      if (element == 0 || !CheckedMul(t.numel(), element, &bytes)) bytes_known = false;
      tensor_bytes += bytes;
      cp_.tensors.push_back(std::move(t));
    }
    cp_.shards.push_back(std::move(info));
  }
  // Cross-check weight_map against what the shards hold.
  for (const auto& [name, shards] : holders) {
    if (shards.size() > 1) {
      std::string list;
      for (const std::string& s : shards) list += (list.empty() ? "`" : ", `") + s + "`";
      Problem("index.duplicate-tensor", Severity::kError,
              "tensor `" + name + "` is in " + std::to_string(shards.size()) + " shards (" + list +
                  "); the loader keeps whichever it reads last",
              "re-shard the checkpoint so every tensor is in exactly one shard", shards.back());
    }
    auto w = wanted_shard.find(name);
    if (w == wanted_shard.end()) {
      Problem("index.tensor-not-in-weight-map", Severity::kWarning,
              "shard `" + shards.front() + "` holds tensor `" + name + "` but the index's weight_map does not list it",
              "transformers loads only what the index lists per shard file; regenerate the index "
              "(save_pretrained) so it matches the shards",
              shards.front());
    } else if (std::find(shards.begin(), shards.end(), w->second) == shards.end()) {
      Problem("index.tensor-in-wrong-shard", Severity::kError,
              "weight_map puts tensor `" + name + "` in `" + w->second + "` but it is in `" +
                  shards.front() + "`",
              "regenerate the index so it matches the shards", w->second);
    }
  }
  for (const auto& [name, shard] : wanted_shard) {
    if (unreadable.count(shard) || holders.count(name)) continue;
    Problem("index.tensor-missing-from-shard", Severity::kError,
            "weight_map lists tensor `" + name + "` in shard `" + shard + "`, but that shard does not hold it",
            "the shard is from another save or the index is stale: download the shards and the index "
            "of the same revision",
            shard);
  }
  if (total_size && bytes_known && unreadable.empty() && depth_ == 0 && *total_size != tensor_bytes) {
    Problem("index.total-size-mismatch", Severity::kWarning,
            "the index's metadata.total_size is " + std::to_string(*total_size) +
                " bytes but the shards' tensors add up to " + std::to_string(tensor_bytes) + " bytes",
            "the index and the shards are from different saves: download both from the same revision",
            "metadata.total_size");
  }
  // Unread pickles are numbered after the pickles (see Checkpoint).
  int next_index = static_cast<int>(cp_.pickles.size());
  for (PickleStream& p : cp_.unread_pickles) p.index = next_index++;
}

}  // namespace ptlint::container_reader
