// Configuration: a TOML file parsed into a small tree, read section by section.
//
// core parses the file (toml++) and collects problems; each library reads its own section
// into its Options struct through a ConfigSection, which records every bad value (file, line,
// key, what was expected) instead of stopping at the first. Keys that nobody read are
// reported as unknown. Every key is optional: defaults live in the Options structs.
// Thread-safety: build and read on one thread; the result is an immutable value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "dolphin/core/result.h"
#include "dolphin/core/time.h"

namespace dolphin {

struct ConfigValue;
using ConfigTable = std::map<std::string, ConfigValue>;
using ConfigArray = std::vector<ConfigValue>;

struct ConfigValue {
  // `other` holds the TOML type name of values dolphin never reads (dates, times).
  struct Other {
    std::string type_name;
  };
  std::variant<bool, int64_t, double, std::string, ConfigArray, ConfigTable, Other> value;
  int line = 0;  // 1-based source line; 0 when unknown.

  std::string TypeName() const;  // "boolean", "integer", "float", "string", "array", "table", ...
};

// Collected problems: errors make the command exit 2; warnings are printed and tolerated.
class ConfigDiagnostics {
 public:
  void Error(std::string line) { errors_.push_back(std::move(line)); }
  void Warn(std::string line) { warnings_.push_back(std::move(line)); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  bool ok() const { return errors_.empty(); }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

// One table of the file ("" for the top level, "bridge", "trader.BLUE", ...). Reading a key
// marks it as known; a wrong type or range records one error and leaves the default in place.
class ConfigSection {
 public:
  // `table` may be null (section absent: every read keeps its default).
  ConfigSection(const ConfigTable* table, std::string path, std::string file,
                std::filesystem::path base_dir, ConfigDiagnostics* diag);

  const std::string& path() const { return path_; }
  bool present() const { return table_ != nullptr; }
  bool Has(const std::string& key) const;

  void Read(const std::string& key, std::string* out);
  void Read(const std::string& key, bool* out);
  // Integers must lie in [min, max].
  void Read(const std::string& key, int64_t* out, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  void Read(const std::string& key, int* out, int min = INT32_MIN, int max = INT32_MAX);
  // Accepts integers too; must lie in [min, max].
  void Read(const std::string& key, double* out, double min = -1e308, double max = 1e308);
  void Read(const std::string& key, std::vector<std::string>* out);
  // A table of strings (`env = { LANG = "C" }`): every value must be a string; on any error
  // `out` keeps its previous content.
  void Read(const std::string& key, std::map<std::string, std::string>* out);
  // A string that must be one of `allowed`.
  void ReadEnum(const std::string& key, std::string* out,
                std::initializer_list<std::string_view> allowed);
  // A duration given in seconds (integer or float; keys end in `_s`), within [min_s, max_s].
  void ReadSeconds(const std::string& key, Duration* out, double min_s, double max_s);
  // A path string; relative paths resolve against the config file's folder.
  void ReadPath(const std::string& key, std::filesystem::path* out);

  // A nested table; absent -> a section with present() == false. Marks the key known.
  ConfigSection Sub(const std::string& key);
  // Names of nested tables (e.g. the colours under [trader]); marks them known.
  std::vector<std::string> SubsectionNames();
  // Every key of this table, sorted; marks none known (for tables whose keys are data, such as
  // a deployment's parameters, read with ReadRaw).
  std::vector<std::string> KeyNames() const;
  // The value of `key` as parsed (null when absent); marks the key known.
  const ConfigValue* ReadRaw(const std::string& key) { return Find(key); }

  // The raw value of `key` for values of more than one type (an integer or a string such as
  // "2G"); null when absent. Marks the key known.
  const ConfigValue* Raw(const std::string& key) { return Find(key); }
  // Records "expected <expected>, got <the value of key>" (the key must be present).
  void ErrorExpected(const std::string& key, std::string_view expected);
  // Records an error about `key` (used for cross-field checks).
  void ErrorAt(const std::string& key, const std::string& what);
  void WarnAt(const std::string& key, const std::string& what);
  // Reports every key of this table that no Read/Sub call asked for. Call last.
  void RejectUnknownKeys();
  // Marks `key` as known without reading it.
  void MarkKnown(const std::string& key) { known_.insert(key); }
  // Number of errors recorded through this section so far.
  int error_count() const { return errors_; }

 private:
  const ConfigValue* Find(const std::string& key);
  std::string Where(const std::string& key) const;
  void TypeError(const std::string& key, const ConfigValue& v, std::string_view expected);

  const ConfigTable* table_;
  std::string path_;
  std::string file_;
  std::filesystem::path base_dir_;
  ConfigDiagnostics* diag_;
  std::set<std::string> known_;
  int errors_ = 0;
};

// A loaded configuration file (or none: every default).
class Config {
 public:
  // No file: defaults everywhere; relative paths resolve against the working directory.
  static Config Empty();
  // Parses a TOML file. A syntax error is InvalidArgument "<file>:<line>:<col>: <what>".
  static Result<Config> LoadFile(const std::filesystem::path& file);
  // Parses TOML text (for tests); `file_label` names it in errors.
  static Result<Config> LoadString(std::string_view text, std::string file_label,
                                   std::filesystem::path base_dir);

  bool has_file() const { return !file_.empty(); }
  const std::string& file() const { return file_; }
  const std::filesystem::path& base_dir() const { return base_dir_; }
  const ConfigTable& root() const { return *root_; }

  ConfigSection Root(ConfigDiagnostics* diag) const;

 private:
  std::shared_ptr<const ConfigTable> root_ = std::make_shared<ConfigTable>();
  std::string file_;
  std::filesystem::path base_dir_;
};

// Writes the effective configuration back as TOML text (`dolphin config show`).
class ConfigWriter {
 public:
  void Section(std::string_view name, std::string_view comment = {});
  void Value(std::string_view key, std::string_view v);
  void Value(std::string_view key, const char* v) { Value(key, std::string_view(v)); }
  void Value(std::string_view key, const std::string& v) { Value(key, std::string_view(v)); }
  void Value(std::string_view key, bool v);
  void Value(std::string_view key, int64_t v);
  void Value(std::string_view key, int v) { Value(key, static_cast<int64_t>(v)); }
  void Value(std::string_view key, double v);
  void Value(std::string_view key, const std::vector<std::string>& v);
  // An inline table of strings: key = { A = "1", "B.C" = "2" }.
  void Value(std::string_view key, const std::map<std::string, std::string>& v);
  void Comment(std::string_view text);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace dolphin
