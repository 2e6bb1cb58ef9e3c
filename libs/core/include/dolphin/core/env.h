// Env: the bundle of process-wide services a component receives by reference (STYLE section G).
//
//   clock    Clock&          wall and monotonic time, timers, and every wait with a deadline
//   logger   Logger&         structured log lines
//   fs       FileSystem&     files the component owns (WriteAtomically for state files)
//   random   Random&         the seeded random source (the seed is logged by whoever seeds it)
//   threads  ThreadFactory&  named threads
//   metrics  Metrics&        counters, gauges, histograms for GET /metrics (core/metrics.h);
//                            NullMetrics() unless the composition root gives a registry
//
// Env holds references only and is cheap to copy; everything it refers to must outlive every
// component that received it. The composition root (apps/dolphin/wiring.cc) builds the real
// one from SystemClock, FileSystem::Default(), ThreadFactory::Default(), a Random seeded
// from the operating system and the prometheus-cpp registry of libs/metrics; tests build a
// testing::TestEnv with a SimulatedClock, a CapturingLogger, a seeded Random and the real file
// system over a temporary folder (or a FakeFileSystem). No library calls a global.
// Thread-safety: Clock, Logger, FileSystem and ThreadFactory are thread-safe. Random is NOT:
// a component that draws randomness on its own thread seeds its own Random from
// env.random.Next() at construction.
#pragma once

#include "dolphin/core/clock.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/logging.h"
#include "dolphin/core/metrics.h"
#include "dolphin/core/random.h"
#include "dolphin/core/thread_factory.h"

namespace dolphin {

struct Env {
  Clock& clock;
  Logger& logger;
  FileSystem& fs;
  Random& random;
  ThreadFactory& threads;
  // Last and defaulted, so an Env built without it (tests, benchmarks) discards its metrics.
  Metrics& metrics = NullMetrics();
};

}  // namespace dolphin
