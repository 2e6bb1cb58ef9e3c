// Gold files (Arrow's integration data, written by Arrow C++): every .arrow_file and .stream
// decodes to exactly the values of its .json.gz (Arrow's integration JSON format). The data is
// used in place under ../shared/testdata/arrow/integration; under CI=true a missing folder fails.
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/testing.h"
#include "test_util.h"

namespace dolphin::arrow {
namespace {

using testing::ListFiles;
using testing::SharedArrowData;

std::filesystem::path IntegrationDir() { return SharedArrowData() / "integration"; }

struct GoldCase {
  std::filesystem::path data;  // .arrow_file or .stream
  std::filesystem::path json;  // .json.gz
  std::string name;
};

std::vector<GoldCase> GoldCases() {
  std::vector<GoldCase> cases;
  for (const auto& sub : {"1.0.0-littleendian", "2.0.0-compression"}) {
    for (const auto& p : ListFiles(IntegrationDir() / sub)) {
      std::string ext = p.extension().string();
      if (ext != ".arrow_file" && ext != ".stream") continue;
      GoldCase c;
      c.data = p;
      c.json = p.parent_path() / (p.stem().string() + ".json.gz");
      c.name =
          std::string(sub) + "_" + p.stem().string() + (ext == ".stream" ? "_stream" : "_file");
      for (char& ch : c.name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      cases.push_back(c);
    }
  }
  if (cases.empty()) cases.push_back(GoldCase{{}, {}, "missing_testdata"});
  return cases;
}

Json LoadJsonGz(const std::filesystem::path& p) {
  std::string text = testing::RunCommand("gzip -dc " + testing::ShellQuote(p.string()));
  auto j = ParseJson(text, p.string());
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

// ---- Comparison of one decoded array with one integration-JSON column ----

class Comparer {
 public:
  Comparer(const Json& root, std::map<int64_t, int64_t> id_map) : id_map_(std::move(id_map)) {
    if (root.contains("dictionaries")) {
      for (const auto& d : root["dictionaries"]) dicts_[d["id"].get<int64_t>()] = &d["data"];
    }
  }

  void Column(const Field& field, const Array& a, const Json& col, const std::string& path,
              bool dict_values = false) {
    if (failures_ > 20) return;
    const int64_t count = col["count"].get<int64_t>();
    Check(a.length == count, path,
          "length " + std::to_string(a.length) + " vs count " + std::to_string(count));
    if (a.length != count) return;
    const bool dict = field.dictionary.has_value() && !dict_values;
    if (col.contains("VALIDITY")) {
      const auto& v = col["VALIDITY"];
      for (int64_t i = 0; i < count; ++i) {
        bool expected = v[static_cast<size_t>(i)].get<int>() != 0;
        bool actual = field.type.id != TypeId::kNull && a.IsValid(i);
        Check(expected == actual, path, "validity of row " + std::to_string(i));
      }
    }
    if (dict) {
      const auto& data = col["DATA"];
      for (int64_t i = 0; i < count; ++i) {
        if (!a.IsValid(i)) continue;
        Check(IntegerAt(field.dictionary->index_type, a, i) == Int(data[static_cast<size_t>(i)]),
              path, "dictionary index of row " + std::to_string(i));
      }
      CheckDictionary(field, a, path);
      return;
    }
    const TypeId id = field.type.id;
    switch (id) {
      case TypeId::kNull: break;
      case TypeId::kBool:
        ForValid(a, count, [&](int64_t i) {
          Check(a.values.Bit(i) == col["DATA"][static_cast<size_t>(i)].get<bool>(), path,
                "bool row " + std::to_string(i));
        });
        break;
      case TypeId::kFloat32:
        ForValid(a, count, [&](int64_t i) {
          float expected = static_cast<float>(col["DATA"][static_cast<size_t>(i)].get<double>());
          Check(a.values.Get<float>(i) == expected, path, "float row " + std::to_string(i));
        });
        break;
      case TypeId::kFloat64:
        ForValid(a, count, [&](int64_t i) {
          double expected = col["DATA"][static_cast<size_t>(i)].get<double>();
          Check(a.values.Get<double>(i) == expected, path, "double row " + std::to_string(i));
        });
        break;
      case TypeId::kUInt64:
        ForValid(a, count, [&](int64_t i) {
          Check(a.values.Get<uint64_t>(i) == UInt(col["DATA"][static_cast<size_t>(i)]), path,
                "uint64 row " + std::to_string(i));
        });
        break;
      case TypeId::kUtf8:
      case TypeId::kLargeUtf8:
        ForValid(a, count, [&](int64_t i) {
          Check(BytesAt(field.type, a, i) == col["DATA"][static_cast<size_t>(i)].get<std::string>(),
                path, "string row " + std::to_string(i));
        });
        break;
      case TypeId::kBinary:
      case TypeId::kLargeBinary:
      case TypeId::kFixedSizeBinary:
        ForValid(a, count, [&](int64_t i) {
          Check(Hex(BytesAt(field.type, a, i)) ==
                    Upper(col["DATA"][static_cast<size_t>(i)].get<std::string>()),
                path, "binary row " + std::to_string(i));
        });
        break;
      case TypeId::kList:
      case TypeId::kLargeList:
      case TypeId::kMap:
        ForValid(a, count, [&](int64_t i) {
          auto [b, e] = ListRangeAt(field.type, a, i);
          Check(b == Int(col["OFFSET"][static_cast<size_t>(i)]) &&
                    e == Int(col["OFFSET"][static_cast<size_t>(i + 1)]),
                path, "offsets of row " + std::to_string(i));
        });
        Column(field.children[0], *a.children[0], col["children"][0],
               path + "." + field.children[0].name);
        break;
      case TypeId::kFixedSizeList:
        Column(field.children[0], *a.children[0], col["children"][0],
               path + "." + field.children[0].name);
        break;
      case TypeId::kStruct:
        for (size_t c = 0; c < field.children.size(); ++c) {
          Column(field.children[c], *a.children[c], col["children"][c],
                 path + "." + field.children[c].name);
        }
        break;
      default:  // integers and integer-backed temporal types
        ForValid(a, count, [&](int64_t i) {
          Check(IntegerAt(id, a, i) == Int(col["DATA"][static_cast<size_t>(i)]), path,
                std::string(TypeIdName(id)) + " row " + std::to_string(i));
        });
    }
  }

  int failures() const { return failures_; }

 private:
  void CheckDictionary(const Field& field, const Array& a, const std::string& path) {
    auto mapped = id_map_.find(field.dictionary->id);
    auto it = dicts_.find(mapped == id_map_.end() ? field.dictionary->id : mapped->second);
    if (it == dicts_.end()) {
      Check(a.length == a.null_count, path, "dictionary missing from the JSON");
      return;
    }
    ASSERT_NE(a.dictionary, nullptr) << path;
    ASSERT_EQ(a.dictionary->chunks.size(), 1u) << path;
    Column(field, *a.dictionary->chunks[0], (*it->second)["columns"][0], path + "<dict>", true);
  }

  template <typename F>
  static void ForValid(const Array& a, int64_t count, F f) {
    for (int64_t i = 0; i < count; ++i) {
      if (a.IsValid(i)) f(i);
    }
  }
  static int64_t Int(const Json& j) {
    return j.is_string() ? std::stoll(j.get<std::string>()) : j.get<int64_t>();
  }
  static uint64_t UInt(const Json& j) {
    return j.is_string() ? std::stoull(j.get<std::string>()) : j.get<uint64_t>();
  }
  static std::string Hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string s;
    for (unsigned char c : bytes) {
      s.push_back(kHex[c >> 4]);
      s.push_back(kHex[c & 15]);
    }
    return s;
  }
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }
  void Check(bool ok, const std::string& path, const std::string& what) {
    if (ok) return;
    ++failures_;
    if (failures_ <= 20) ADD_FAILURE() << path << ": " << what << " differs";
  }

  std::map<int64_t, int64_t> id_map_;
  std::map<int64_t, const Json*> dicts_;
  int failures_ = 0;
};

// Schema equality: names, nullability, type family, dictionary encoding, metadata.
const char* JsonTypeName(TypeId id) {
  switch (id) {
    case TypeId::kNull: return "null";
    case TypeId::kBool: return "bool";
    case TypeId::kFloat16:
    case TypeId::kFloat32:
    case TypeId::kFloat64: return "floatingpoint";
    case TypeId::kUtf8: return "utf8";
    case TypeId::kLargeUtf8: return "largeutf8";
    case TypeId::kBinary: return "binary";
    case TypeId::kLargeBinary: return "largebinary";
    case TypeId::kFixedSizeBinary: return "fixedsizebinary";
    case TypeId::kDate32:
    case TypeId::kDate64: return "date";
    case TypeId::kTime32:
    case TypeId::kTime64: return "time";
    case TypeId::kTimestamp: return "timestamp";
    case TypeId::kDuration: return "duration";
    case TypeId::kList: return "list";
    case TypeId::kLargeList: return "largelist";
    case TypeId::kFixedSizeList: return "fixedsizelist";
    case TypeId::kStruct: return "struct";
    case TypeId::kMap: return "map";
    default: return "int";
  }
}

Metadata JsonMetadata(const Json& j) {
  Metadata md;
  if (j.contains("metadata")) {
    for (const auto& kv : j["metadata"]) {
      md.emplace_back(kv["key"].get<std::string>(), kv["value"].get<std::string>());
    }
  }
  return md;
}

// Arrow C++ renumbers dictionary ids when it writes and may canonicalise the names inside a map
// ("entries", "key", "value"), so ids are matched by position and map children by position.
void CompareField(const Field& f, const Json& j, const std::string& path, bool in_map,
                  std::map<int64_t, int64_t>& id_map) {
  if (!in_map) {
    EXPECT_EQ(f.name, j["name"].get<std::string>()) << path;
  }
  EXPECT_EQ(f.nullable, j["nullable"].get<bool>()) << path;
  EXPECT_EQ(JsonTypeName(f.type.id), j["type"]["name"].get<std::string>()) << path;
  if (f.type.id == TypeId::kTimestamp) {
    EXPECT_EQ(f.type.timezone, j["type"].value("timezone", std::string())) << path;
  }
  EXPECT_EQ(f.dictionary.has_value(), j.contains("dictionary")) << path;
  if (f.dictionary && j.contains("dictionary")) {
    auto [it, inserted] = id_map.emplace(f.dictionary->id, j["dictionary"]["id"].get<int64_t>());
    EXPECT_EQ(it->second, j["dictionary"]["id"].get<int64_t>()) << path;
  }
  EXPECT_EQ(f.metadata, JsonMetadata(j)) << path;
  ASSERT_EQ(f.children.size(), j["children"].size()) << path;
  for (size_t c = 0; c < f.children.size(); ++c) {
    CompareField(f.children[c], j["children"][c], path + "." + f.children[c].name,
                 f.type.id == TypeId::kMap || in_map, id_map);
  }
}

class GoldFileTest : public ::testing::TestWithParam<GoldCase> {};

TEST_P(GoldFileTest, DecodesToTheValuesOfItsJson) {
  const GoldCase& c = GetParam();
  if (c.data.empty()) {
    if (dolphin::testing::InCi()) FAIL() << "gold files missing: " << IntegrationDir();
    GTEST_SKIP() << "GOLD FILES MISSING at " << IntegrationDir() << " - not tested";
  }
  Json expected = LoadJsonGz(c.json);
  ASSERT_TRUE(expected.is_object());
  auto table = ReadIpcFile(c.data.string());
  ASSERT_OK(table);
  EXPECT_EQ(table->format, c.data.extension() == ".stream" ? IpcFormat::kStream : IpcFormat::kFile);

  const auto& jfields = expected["schema"]["fields"];
  ASSERT_EQ(table->schema->fields.size(), jfields.size());
  std::map<int64_t, int64_t> id_map;  // our dictionary id -> the JSON's
  for (size_t i = 0; i < jfields.size(); ++i) {
    CompareField(table->schema->fields[i], jfields[i], table->schema->fields[i].name, false,
                 id_map);
  }
  EXPECT_EQ(table->schema->metadata, JsonMetadata(expected["schema"]));

  const auto& jbatches = expected["batches"];
  ASSERT_EQ(table->batches.size(), jbatches.size());
  Comparer cmp(expected, id_map);
  for (size_t b = 0; b < jbatches.size(); ++b) {
    const RecordBatch& batch = table->batches[b];
    EXPECT_EQ(batch.num_rows, jbatches[b]["count"].get<int64_t>());
    for (size_t col = 0; col < batch.columns.size(); ++col) {
      cmp.Column(table->schema->fields[col], *batch.columns[col], jbatches[b]["columns"][col],
                 "batch " + std::to_string(b) + " " + table->schema->fields[col].name);
    }
  }
  EXPECT_EQ(cmp.failures(), 0);
}

TEST_P(GoldFileTest, CatPrintsOneValidJsonObjectPerRow) {
  const GoldCase& c = GetParam();
  if (c.data.empty()) {
    if (dolphin::testing::InCi()) FAIL() << "gold files missing: " << IntegrationDir();
    GTEST_SKIP() << "GOLD FILES MISSING at " << IntegrationDir() << " - not tested";
  }
  std::ostringstream out;
  ASSERT_OK(CatToJsonLines(c.data.string(), out));
  auto table = ReadIpcFile(c.data.string());
  ASSERT_OK(table);
  std::istringstream lines(out.str());
  std::string line;
  int64_t rows = 0;
  while (std::getline(lines, line)) {
    auto j = ParseJson(line, "cat line");
    ASSERT_OK(j);
    ASSERT_TRUE(j->is_object());
    ++rows;
  }
  EXPECT_EQ(rows, table->num_rows());
  std::ostringstream schema;
  ASSERT_OK(PrintSchema(c.data.string(), schema));
  EXPECT_NE(schema.str().find("fields ("), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Integration, GoldFileTest, ::testing::ValuesIn(GoldCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace dolphin::arrow
