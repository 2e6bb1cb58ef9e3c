// The scan file a simulator writes reads back, through the project's Arrow reader, with exactly
// the docs/architecture.md §8 columns, types and values.
#include <filesystem>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/sim/scan_sink.h"
#include "dolphin/sim/simulator.h"
#include "dolphin/testing/testing.h"

namespace dolphin::sim {
namespace {

using testing::IsOkAndHolds;

ScanFeatures OneScan() {
  ScannerOptions o;
  o.assets = 15;
  o.warmup_scans = 200;
  o.start_scan = 123;
  auto scanner = Scanner::Create(o);
  EXPECT_OK(scanner);
  return *(*scanner)->Next(*ParseRfc3339("2026-03-25T10:30:01.123456Z"));
}

TEST(ArrowScanTest, EncodesTheDesignLayoutWithSyntheticMetadata) {
  const ScanFeatures scan = OneScan();
  auto bytes = EncodeScanArrow(scan);
  ASSERT_OK(bytes);
  auto table = arrow::ReadIpc(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
  ASSERT_OK(table);
  const arrow::Schema& schema = *table->schema;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"scan_number", "int64"},
      {"timestamp", "timestamp[us, tz=UTC]"},
      {"assets", "list<item: utf8>"},
      {"asset_prices", "list<item: double>"},
      {"eigenvalues", "list<item: double>"},
      {"w50_lambda_max", "double"},
      {"w150_lambda_max", "double"},
      {"w300_lambda_max", "double"},
      {"w750_lambda_max", "double"},
      {"w50_velocity", "double"},
      {"w150_velocity", "double"},
      {"w300_velocity", "double"},
      {"w750_velocity", "double"},
      {"vel_div", "double"},
      {"instability_50", "double"},
      {"instability_150", "double"},
      {"regime", "utf8"}};
  ASSERT_EQ(schema.fields.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(schema.fields[i].name, expected[i].first);
    const std::string type = arrow::FieldTypeToString(schema.fields[i]);
    // Readable type names differ in small ways between helpers ("double" vs "float64").
    if (expected[i].second == "double") {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kFloat64) << type;
    } else if (expected[i].second == "list<item: double>") {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kList) << type;
      ASSERT_EQ(schema.fields[i].children.size(), 1u);
      EXPECT_EQ(schema.fields[i].children[0].type.id, arrow::TypeId::kFloat64) << type;
    } else if (expected[i].second == "list<item: utf8>") {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kList) << type;
      ASSERT_EQ(schema.fields[i].children.size(), 1u);
      EXPECT_EQ(schema.fields[i].children[0].type.id, arrow::TypeId::kUtf8) << type;
    } else if (expected[i].second == "timestamp[us, tz=UTC]") {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kTimestamp) << type;
      EXPECT_EQ(schema.fields[i].type.unit, arrow::TimeUnit::kMicro);
      EXPECT_EQ(schema.fields[i].type.timezone, "UTC");
    } else if (expected[i].second == "int64") {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kInt64) << type;
    } else {
      EXPECT_EQ(schema.fields[i].type.id, arrow::TypeId::kUtf8) << type;
    }
  }
  EXPECT_EQ(schema.metadata, (arrow::Metadata{{"synthetic", "true"}}));
  EXPECT_EQ(table->num_rows(), 1);
  EXPECT_THAT(arrow::GetInt64(*table, "scan_number", 0), IsOkAndHolds(123));
  EXPECT_THAT(arrow::GetInt64(*table, "timestamp", 0), IsOkAndHolds(1774434601123456));
  EXPECT_THAT(arrow::GetStringList(*table, "assets", 0), IsOkAndHolds(scan.assets));
  EXPECT_THAT(arrow::GetFloat64List(*table, "asset_prices", 0), IsOkAndHolds(scan.asset_prices));
  EXPECT_THAT(arrow::GetFloat64List(*table, "eigenvalues", 0), IsOkAndHolds(scan.eigenvalues));
  EXPECT_THAT(arrow::GetFloat64(*table, "w50_lambda_max", 0), IsOkAndHolds(scan.lambda_max[0]));
  EXPECT_THAT(arrow::GetFloat64(*table, "w750_velocity", 0), IsOkAndHolds(scan.velocity[3]));
  EXPECT_THAT(arrow::GetFloat64(*table, "vel_div", 0), IsOkAndHolds(scan.vel_div));
  EXPECT_THAT(arrow::GetFloat64(*table, "instability_150", 0), IsOkAndHolds(scan.instability_150));
  EXPECT_THAT(arrow::GetString(*table, "regime", 0),
              IsOkAndHolds(std::string(RegimeName(scan.regime))));
}

TEST(ArrowScanTest, SimulatorWritesReadableFilesIntoTheDayFolder) {
  testing::TestEnv env;
  SimOptions o;
  o.assets = 10;
  o.warmup_scans = 50;
  o.count = 3;
  o.interval = Duration::zero();
  o.scan_dir = env.dir.path() / "scans";
  auto sim = Simulator::Create(o, env.env);
  ASSERT_OK(sim);
  CancelToken cancel;
  ASSERT_OK((*sim)->Run(cancel));
  const auto day = o.scan_dir / FormatUtcDate(env.clock.Now());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(day)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".arrow");
    auto table = arrow::ReadIpcFile(e.path().string());
    ASSERT_OK(table);
    EXPECT_THAT(arrow::GetStringList(*table, "assets", 0), IsOkAndHolds(::testing::SizeIs(10)));
  }
  EXPECT_EQ(files, 3);
}

}  // namespace
}  // namespace dolphin::sim
