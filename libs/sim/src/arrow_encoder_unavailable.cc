// Built when the Arrow library (dolphin::arrow) is not part of the tree yet.
#include "dolphin/sim/scan_sink.h"

namespace dolphin::sim {

Result<std::string> EncodeScanArrow(const ScanFeatures&) {
  return UnimplementedError("the Arrow IPC writer (dolphin::arrow) is not built yet");
}

}  // namespace dolphin::sim
