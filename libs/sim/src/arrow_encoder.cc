// The scan file layout of docs/architecture.md §8, through the project's Arrow IPC writer.
#include "dolphin/arrow/ipc_writer.h"
#include "dolphin/sim/scan_sink.h"

namespace dolphin::sim {

Result<std::string> EncodeScanArrow(const ScanFeatures& scan) {
  using arrow::Float64Column;
  static constexpr const char* kLambda[] = {"w50_lambda_max", "w150_lambda_max", "w300_lambda_max",
                                            "w750_lambda_max"};
  static constexpr const char* kVelocity[] = {"w50_velocity", "w150_velocity", "w300_velocity",
                                              "w750_velocity"};
  std::vector<arrow::Column> columns;
  columns.reserve(19);
  columns.push_back(arrow::Int64Column("scan_number", {scan.scan_number}));
  columns.push_back(arrow::TimestampColumn("timestamp", arrow::TimeUnit::kMicro, "UTC",
                                           {scan.timestamp.UnixMicros()}));
  columns.push_back(arrow::Utf8ListColumn("assets", {scan.assets}));
  columns.push_back(arrow::Float64ListColumn("asset_prices", {scan.asset_prices}));
  columns.push_back(arrow::Float64ListColumn("eigenvalues", {scan.eigenvalues}));
  for (size_t k = 0; k < kWindows.size(); ++k) {
    columns.push_back(Float64Column(kLambda[k], {scan.lambda_max[k]}));
  }
  for (size_t k = 0; k < kWindows.size(); ++k) {
    columns.push_back(Float64Column(kVelocity[k], {scan.velocity[k]}));
  }
  columns.push_back(Float64Column("vel_div", {scan.vel_div}));
  columns.push_back(Float64Column("instability_50", {scan.instability_50}));
  columns.push_back(Float64Column("instability_150", {scan.instability_150}));
  columns.push_back(arrow::Utf8Column("regime", {std::string(RegimeName(scan.regime))}));
  arrow::TableBuilder builder;
  builder.AddMetadata("synthetic", "true");
  DOLPHIN_RETURN_IF_ERROR(builder.AddBatch(std::move(columns)));
  return arrow::WriteIpc(builder.table());
}

}  // namespace dolphin::sim
