// The Hazelcast member as a service of dolphin's own: its limits, its command and where its
// program is found. Shared by `dolphin up` (which runs it as service `hazelcast`) and
// `dolphin systemd generate` (hazelcast.service). Thread-safety: pure functions but FindOnPath,
// which reads PATH and the file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "dolphin/supervisor/service_options.h"

namespace dolphin::cli {

// [services.hazelcast]'s effective options (tasks_max defaults to supervisor::kMemberTasksMax).
supervisor::ServiceOptions MemberServiceOptions(const supervisor::ServicesOptions& services);

// The absolute path of `name` on PATH (names with a '/' are made absolute), or empty.
std::filesystem::path FindOnPath(const std::string& name);

// The member jar: `flag` when set, else $HAZELCAST_JAR, else <state_dir>/hazelcast/hazelcast.jar;
// made absolute.
std::filesystem::path MemberJar(const std::string& flag, const std::filesystem::path& state_dir);

}  // namespace dolphin::cli
