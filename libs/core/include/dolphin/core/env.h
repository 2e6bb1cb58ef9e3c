// Env: the bundle of process-wide services a component receives by reference.
// The composition root (apps/dolphin/wiring.cc) builds the real one; tests build a TestEnv
// with a SimulatedClock, a CapturingLogger and a seeded Random. No library calls a global.
#pragma once

#include "dolphin/core/clock.h"
#include "dolphin/core/logging.h"

namespace dolphin {

struct Env {
  Clock& clock;
  Logger& logger;
};

}  // namespace dolphin
