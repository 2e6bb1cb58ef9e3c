// The bus's fixed map and key names (docs/architecture.md §3, "Maps and keys"), defined once.
//
// Every service that reads or writes the bus takes its names from here. Thread-safety: constants
// and pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dolphin::contract {

// DOLPHIN_FEATURES: the scan (bridge) and the feature flows' values.
inline constexpr char kFeaturesMap[] = "DOLPHIN_FEATURES";
inline constexpr char kScanKey[] = "latest_eigen_scan";
inline constexpr char kObFeaturesKey[] = "ob_features_latest";
inline constexpr char kExfKey[] = "exf_latest";
inline constexpr char kEsofKey[] = "esof_latest";

// DOLPHIN_SAFETY["latest"]: the safety service's posture record.
inline constexpr char kSafetyMap[] = "DOLPHIN_SAFETY";
inline constexpr char kSafetyKey[] = "latest";

// DOLPHIN_META_HEALTH["latest"]: the health service's record.
inline constexpr char kMetaHealthMap[] = "DOLPHIN_META_HEALTH";
inline constexpr char kMetaHealthKey[] = "latest";

// DOLPHIN_HEARTBEAT[<service>]: one key per service ("bridge", "trader.BLUE", "health", "run").
inline constexpr char kHeartbeatMap[] = "DOLPHIN_HEARTBEAT";

// DOLPHIN_STATE_<COLOR>["latest_nautilus"] and DOLPHIN_PNL_<COLOR>[YYYY-MM-DD]: one trader each.
inline constexpr char kStateMapPrefix[] = "DOLPHIN_STATE_";
inline constexpr char kPnlMapPrefix[] = "DOLPHIN_PNL_";
inline constexpr char kStateKey[] = "latest_nautilus";

// The bridge's `bridge_source` value.
inline constexpr char kBridgeSource[] = "dolphin_bridge";

// Freshness fields (docs/architecture.md §3 and docs/health.md).
inline constexpr char kScanFreshnessField[] = "bridge_ts";
inline constexpr char kFlowFreshnessField[] = "_pushed_at";
inline constexpr char kSafetyFreshnessField[] = "ts";
inline constexpr char kStateFreshnessField[] = "updated_at";
inline constexpr char kMetaHealthFreshnessField[] = "timestamp";
inline constexpr char kHeartbeatFreshnessField[] = "ts";

std::string StateMapName(std::string_view color);       // "DOLPHIN_STATE_<COLOR>"
std::string PnlMapName(std::string_view color);         // "DOLPHIN_PNL_<COLOR>"
std::string TraderServiceName(std::string_view color);  // "trader.<COLOR>": its heartbeat key

}  // namespace dolphin::contract
