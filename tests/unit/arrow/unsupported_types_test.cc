// Types outside dolphin's list (decimal, interval, union, views, run-end encoded) are refused
// with one clear line naming the field (with its path) and the type. Fixtures in
// tests/data/arrow/unsupported were written by pyarrow 26 (one stream each, column + id).
#include <sstream>

#include <gtest/gtest.h>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/arrow/json_writer.h"
#include "dolphin/testing/testing.h"
#include "test_util.h"

namespace dolphin::arrow {
namespace {

struct Expect {
  const char* file;
  const char* field;
  const char* type;
};

TEST(UnsupportedTypeTest, EachIsAClearErrorNamingFieldAndType) {
  const Expect cases[] = {
      {"decimal128", "'price'", "decimal128(10, 2)"},
      {"decimal256", "'big'", "decimal256(40, 2)"},
      {"interval", "'gap'", "interval[month_day_nano]"},
      {"dense_union", "'u'", "dense union"},
      {"sparse_union", "'u'", "sparse union"},
      {"utf8_view", "'s'", "utf8_view"},
      {"binary_view", "'b'", "binary_view"},
      {"list_view", "'l'", "list_view"},
      {"run_end_encoded", "'r'", "run_end_encoded"},
      {"nested_decimal", "'outer.price'", "decimal128(5, 1)"},
  };
  auto dir = testing::SourceDir() / "tests" / "data" / "arrow" / "unsupported";
  for (const Expect& c : cases) {
    SCOPED_TRACE(c.file);
    std::string path = (dir / (std::string(c.file) + ".arrows")).string();
    auto t = ReadIpcFile(path);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
    const std::string& m = t.status().message();
    EXPECT_NE(m.find("unsupported type " + std::string(c.type)), std::string::npos) << m;
    EXPECT_NE(m.find("field " + std::string(c.field)), std::string::npos) << m;
    std::ostringstream out, err;
    EXPECT_EQ(RunArrowCommand({"cat", path}, out, err), 1);
    EXPECT_EQ(out.str(), "");
    const std::string e = err.str();
    EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  }
}

}  // namespace
}  // namespace dolphin::arrow
