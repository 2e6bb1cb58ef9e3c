#include "dolphin/core/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cmath>
#include <fstream>
#include <sstream>

#include "dolphin/core/json.h"

namespace dolphin {

std::string ConfigValue::TypeName() const {
  switch (value.index()) {
    case 0: return "a boolean";
    case 1: return "an integer";
    case 2: return "a float";
    case 3: return "a string";
    case 4: return "an array";
    case 5: return "a table";
    default: return "a " + std::get<Other>(value).type_name;
  }
}

namespace {

ConfigValue Convert(const toml::node& node) {
  ConfigValue out;
  out.line = static_cast<int>(node.source().begin.line);
  if (auto* t = node.as_table()) {
    ConfigTable table;
    for (const auto& [k, v] : *t) table.emplace(std::string(k.str()), Convert(v));
    out.value = std::move(table);
  } else if (auto* a = node.as_array()) {
    ConfigArray arr;
    for (const auto& v : *a) arr.push_back(Convert(v));
    out.value = std::move(arr);
  } else if (auto* s = node.as_string()) {
    out.value = std::string(s->get());
  } else if (auto* i = node.as_integer()) {
    out.value = static_cast<int64_t>(i->get());
  } else if (auto* f = node.as_floating_point()) {
    out.value = f->get();
  } else if (auto* b = node.as_boolean()) {
    out.value = b->get();
  } else if (node.is_date()) {
    out.value = ConfigValue::Other{"date"};
  } else if (node.is_time()) {
    out.value = ConfigValue::Other{"time"};
  } else {
    out.value = ConfigValue::Other{"date-time"};
  }
  return out;
}

std::string Shown(const ConfigValue& v) {
  if (auto* s = std::get_if<std::string>(&v.value)) {
    std::string q;
    AppendJsonString(q, *s);
    return v.TypeName() + " " + q;
  }
  if (auto* i = std::get_if<int64_t>(&v.value)) return fmt::format("{} {}", v.TypeName(), *i);
  if (auto* d = std::get_if<double>(&v.value)) return fmt::format("{} {}", v.TypeName(), *d);
  if (auto* b = std::get_if<bool>(&v.value)) return fmt::format("{} {}", v.TypeName(), *b);
  return v.TypeName();
}

std::string TomlQuote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);  // JSON escapes are valid TOML basic-string escapes.
  return out;
}

}  // namespace

ConfigSection::ConfigSection(const ConfigTable* table, std::string path, std::string file,
                             std::filesystem::path base_dir, ConfigDiagnostics* diag)
    : table_(table),
      path_(std::move(path)),
      file_(std::move(file)),
      base_dir_(std::move(base_dir)),
      diag_(diag) {}

bool ConfigSection::Has(const std::string& key) const {
  return table_ != nullptr && table_->count(key) > 0;
}

const ConfigValue* ConfigSection::Find(const std::string& key) {
  known_.insert(key);
  if (table_ == nullptr) return nullptr;
  auto it = table_->find(key);
  return it == table_->end() ? nullptr : &it->second;
}

std::string ConfigSection::Where(const std::string& key) const {
  int line = 0;
  if (table_ != nullptr) {
    auto it = table_->find(key);
    if (it != table_->end()) line = it->second.line;
  }
  std::string loc = file_.empty() ? "(defaults)" : file_;
  if (line > 0) loc += fmt::format(":{}", line);
  std::string name = path_.empty() ? key : fmt::format("[{}] {}", path_, key);
  return fmt::format("{}: {}", loc, name);
}

void ConfigSection::ErrorAt(const std::string& key, const std::string& what) {
  ++errors_;
  diag_->Error(fmt::format("{}: {}", Where(key), what));
}

void ConfigSection::WarnAt(const std::string& key, const std::string& what) {
  diag_->Warn(fmt::format("{}: {}", Where(key), what));
}

void ConfigSection::TypeError(const std::string& key, const ConfigValue& v,
                              std::string_view expected) {
  ErrorAt(key, fmt::format("expected {}, got {}", expected, Shown(v)));
}

void ConfigSection::ErrorExpected(const std::string& key, std::string_view expected) {
  const ConfigValue* v = table_ == nullptr ? nullptr : &table_->at(key);
  if (v == nullptr) {
    ErrorAt(key, fmt::format("expected {}", expected));
    return;
  }
  TypeError(key, *v, expected);
}

void ConfigSection::Read(const std::string& key, std::string* out) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  if (auto* s = std::get_if<std::string>(&v->value)) {
    *out = *s;
  } else {
    TypeError(key, *v, "a string");
  }
}

void ConfigSection::Read(const std::string& key, bool* out) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  if (auto* b = std::get_if<bool>(&v->value)) {
    *out = *b;
  } else {
    TypeError(key, *v, "true or false");
  }
}

void ConfigSection::Read(const std::string& key, int64_t* out, int64_t min, int64_t max) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  std::string expected = "an integer";
  if (min != INT64_MIN && max != INT64_MAX) {
    expected = fmt::format("an integer in [{}, {}]", min, max);
  } else if (min != INT64_MIN) {
    expected = fmt::format("an integer >= {}", min);
  } else if (max != INT64_MAX) {
    expected = fmt::format("an integer <= {}", max);
  }
  auto* i = std::get_if<int64_t>(&v->value);
  if (i == nullptr || *i < min || *i > max) {
    TypeError(key, *v, expected);
    return;
  }
  *out = *i;
}

void ConfigSection::Read(const std::string& key, int* out, int min, int max) {
  int64_t wide = *out;
  Read(key, &wide, min, max);
  *out = static_cast<int>(wide);
}

void ConfigSection::Read(const std::string& key, double* out, double min, double max) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  double d;
  if (auto* f = std::get_if<double>(&v->value)) {
    d = *f;
  } else if (auto* i = std::get_if<int64_t>(&v->value)) {
    d = static_cast<double>(*i);
  } else {
    TypeError(key, *v, fmt::format("a number in [{}, {}]", min, max));
    return;
  }
  if (!std::isfinite(d) || d < min || d > max) {
    TypeError(key, *v, fmt::format("a number in [{}, {}]", min, max));
    return;
  }
  *out = d;
}

void ConfigSection::Read(const std::string& key, std::vector<std::string>* out) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  auto* arr = std::get_if<ConfigArray>(&v->value);
  if (arr == nullptr) {
    TypeError(key, *v, "an array of strings");
    return;
  }
  std::vector<std::string> result;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto* s = std::get_if<std::string>(&(*arr)[i].value);
    if (s == nullptr) {
      ErrorAt(key, fmt::format("expected an array of strings, element {} is {}", i,
                               (*arr)[i].TypeName()));
      return;
    }
    result.push_back(*s);
  }
  *out = std::move(result);
}

void ConfigSection::Read(const std::string& key, std::map<std::string, std::string>* out) {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return;
  auto* table = std::get_if<ConfigTable>(&v->value);
  if (table == nullptr) {
    TypeError(key, *v, "a table of strings such as { NAME = \"value\" }");
    return;
  }
  std::map<std::string, std::string> result;
  for (const auto& [name, value] : *table) {
    auto* s = std::get_if<std::string>(&value.value);
    if (s == nullptr) {
      ErrorAt(key, fmt::format("expected a table of strings, {} is {}", TomlQuote(name),
                               value.TypeName()));
      return;
    }
    result.emplace(name, *s);
  }
  *out = std::move(result);
}

void ConfigSection::ReadEnum(const std::string& key, std::string* out,
                             std::initializer_list<std::string_view> allowed) {
  std::string value = *out;
  int before = errors_;
  Read(key, &value);
  if (errors_ != before) return;
  for (std::string_view a : allowed) {
    if (value == a) {
      *out = value;
      return;
    }
  }
  std::string list;
  for (std::string_view a : allowed) {
    if (!list.empty()) list += ", ";
    list += TomlQuote(a);
  }
  ErrorAt(key, fmt::format("expected one of {}, got {}", list, TomlQuote(value)));
}

void ConfigSection::ReadSeconds(const std::string& key, Duration* out, double min_s, double max_s) {
  double v = SecondsOf(*out);
  Read(key, &v, min_s, max_s);
  *out = DurationOfSeconds(v);
}

void ConfigSection::ReadPath(const std::string& key, std::filesystem::path* out) {
  std::string value;
  int before = errors_;
  if (!Has(key)) {
    Find(key);
    return;
  }
  Read(key, &value);
  if (errors_ != before) return;
  if (value.empty()) {
    ErrorAt(key, "expected a non-empty path");
    return;
  }
  std::filesystem::path p(value);
  *out = p.is_absolute() ? p : (base_dir_ / p).lexically_normal();
}

ConfigSection ConfigSection::Sub(const std::string& key) {
  const ConfigValue* v = Find(key);
  std::string sub_path = path_.empty() ? key : path_ + "." + key;
  if (v == nullptr) return ConfigSection(nullptr, sub_path, file_, base_dir_, diag_);
  auto* t = std::get_if<ConfigTable>(&v->value);
  if (t == nullptr) {
    TypeError(key, *v, "a table");
    return ConfigSection(nullptr, sub_path, file_, base_dir_, diag_);
  }
  return ConfigSection(t, sub_path, file_, base_dir_, diag_);
}

std::vector<std::string> ConfigSection::SubsectionNames() {
  std::vector<std::string> names;
  if (table_ == nullptr) return names;
  for (const auto& [k, v] : *table_) {
    if (std::holds_alternative<ConfigTable>(v.value)) {
      names.push_back(k);
      known_.insert(k);
    }
  }
  return names;
}

std::vector<std::string> ConfigSection::KeyNames() const {
  std::vector<std::string> names;
  if (table_ == nullptr) return names;
  for (const auto& [k, v] : *table_) names.push_back(k);
  return names;
}

void ConfigSection::RejectUnknownKeys() {
  if (table_ == nullptr) return;
  for (const auto& [k, v] : *table_) {
    if (known_.count(k) == 0) {
      ErrorAt(k, path_.empty() ? "unknown key" : fmt::format("unknown key in [{}]", path_));
    }
  }
}

Config Config::Empty() {
  Config c;
  c.base_dir_ = std::filesystem::current_path();
  return c;
}

Result<Config> Config::LoadString(std::string_view text, std::string file_label,
                                  std::filesystem::path base_dir) {
  toml::table parsed;
  try {
    parsed = toml::parse(text, file_label);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return InvalidArgumentError(fmt::format("{}:{}:{}: invalid TOML: {}", file_label, where.line,
                                            where.column, e.description()));
  }
  Config c;
  ConfigValue root = Convert(parsed);
  c.root_ = std::make_shared<ConfigTable>(std::move(std::get<ConfigTable>(root.value)));
  c.file_ = std::move(file_label);
  c.base_dir_ = std::move(base_dir);
  return c;
}

Result<Config> Config::LoadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return InvalidArgumentError(
        fmt::format("{}: cannot read config file: {}", file.string(), std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::path abs = std::filesystem::absolute(file);
  return LoadString(ss.str(), file.string(), abs.parent_path());
}

ConfigSection Config::Root(ConfigDiagnostics* diag) const {
  return ConfigSection(root_.get(), "", file_, base_dir_, diag);
}

void ConfigWriter::Section(std::string_view name, std::string_view comment) {
  if (!out_.empty()) out_ += "\n";
  if (!comment.empty()) out_ += fmt::format("# {}\n", comment);
  out_ += fmt::format("[{}]\n", name);
}

void ConfigWriter::Comment(std::string_view text) { out_ += fmt::format("# {}\n", text); }

void ConfigWriter::Value(std::string_view key, std::string_view v) {
  out_ += fmt::format("{} = {}\n", key, TomlQuote(v));
}
void ConfigWriter::Value(std::string_view key, bool v) {
  out_ += fmt::format("{} = {}\n", key, v ? "true" : "false");
}
void ConfigWriter::Value(std::string_view key, int64_t v) {
  out_ += fmt::format("{} = {}\n", key, v);
}
void ConfigWriter::Value(std::string_view key, double v) {
  std::string s = FormatDouble(v);
  if (s.find_first_of(".eE") == std::string::npos && s != "null") s += ".0";
  out_ += fmt::format("{} = {}\n", key, s);
}
void ConfigWriter::Value(std::string_view key, const std::vector<std::string>& v) {
  std::string items;
  for (const auto& s : v) {
    if (!items.empty()) items += ", ";
    items += TomlQuote(s);
  }
  out_ += fmt::format("{} = [{}]\n", key, items);
}

void ConfigWriter::Value(std::string_view key, const std::map<std::string, std::string>& v) {
  std::string items;
  for (const auto& [k, s] : v) {
    if (!items.empty()) items += ", ";
    items += fmt::format("{} = {}", TomlQuote(k), TomlQuote(s));
  }
  out_ +=
      items.empty() ? fmt::format("{} = {{}}\n", key) : fmt::format("{} = {{ {} }}\n", key, items);
}

}  // namespace dolphin
