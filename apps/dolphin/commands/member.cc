#include "member.h"

#include <unistd.h>

#include <cstdlib>

namespace dolphin::cli {

namespace fs = std::filesystem;

supervisor::ServiceOptions MemberServiceOptions(const supervisor::ServicesOptions& services) {
  return supervisor::EffectiveServiceOptions(services, "hazelcast");
}

fs::path FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return fs::absolute(name).lexically_normal();
  const char* path = std::getenv("PATH");
  std::string rest = path != nullptr ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= rest.size();) {
    size_t end = rest.find(':', start);
    if (end == std::string::npos) end = rest.size();
    fs::path candidate = fs::path(rest.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate).lexically_normal();
    start = end + 1;
  }
  return {};
}

fs::path MemberJar(const std::string& flag, const fs::path& state_dir) {
  fs::path jar = flag;
  if (jar.empty()) {
    const char* env_jar = std::getenv("HAZELCAST_JAR");
    jar = env_jar != nullptr && *env_jar ? fs::path(env_jar)
                                         : state_dir / "hazelcast" / "hazelcast.jar";
  }
  return fs::absolute(jar).lexically_normal();
}

}  // namespace dolphin::cli
