// Response bodies in each API's documented format (docs/indicators.md "Sources"), shared by
// the unit and integration tests. Values are made up; shapes follow the official docs.
#pragma once

#include <string>

namespace dolphin::indicators::samples {

// 2024-06-10T03:29:00Z, just after the samples' newest timestamps.
inline constexpr int64_t kNowUnixS = 1717990140;

inline std::string Premium(const std::string& symbol, const std::string& rate,
                           const std::string& mark) {
  return R"({"symbol":")" + symbol + R"(","markPrice":")" + mark +
         R"(","indexPrice":"64240.12345678","estimatedSettlePrice":"64231.90211345","lastFundingRate":")" +
         rate +
         R"(","interestRate":"0.00010000","nextFundingTime":1718006400000,"time":1717990123000})";
}

inline const std::string kDvolBtc =
    R"({"jsonrpc":"2.0","result":{"data":[[1717986960000,52.31,53.02,51.87,52.64],)"
    R"([1717987020000,52.64,52.90,51.95,52.10]],"continuation":null},)"
    R"("usIn":1717990000123456,"usOut":1717990000125012,"usDiff":1556,"testnet":false})";
inline const std::string kDvolEth =
    R"({"jsonrpc":"2.0","result":{"data":[[1717987020000,61.0,61.5,60.2,60.75]],"continuation":null},)"
    R"("usIn":1717990000123456,"usOut":1717990000125012,"usDiff":1556,"testnet":false})";
inline const std::string kDvolError =
    R"({"jsonrpc":"2.0","error":{"message":"Invalid params","data":{"reason":"must be one of the supported resolutions","param":"resolution"},"code":-32602},)"
    R"("usIn":1717985000123456,"usOut":1717985000123700,"usDiff":244,"testnet":false})";

inline const std::string kFearGreed =
    R"({"name":"Fear and Greed Index","data":[{"value":"47","value_classification":"Neutral",)"
    R"("timestamp":"1717977600","time_until_update":"31415"}],"metadata":{"error":null}})";

inline const std::string kDepth =
    R"({"lastUpdateId":272144015637,"E":1717990120858,"T":1717990120851,)"
    R"("bids":[["100.00","2"],["99.95","1"],["99.80","7"]],)"
    R"("asks":[["100.02","1"],["100.05","3"],["100.30","4"]]})";

}  // namespace dolphin::indicators::samples
