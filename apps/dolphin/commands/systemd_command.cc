// `dolphin systemd generate -o DIR [--install]`: the systemd units of this configuration
// (docs/services.md §3), rendered by libs/systemd_units from [services.<name>], one unit per
// service under the original system's names, ExecStart= running this very binary with the
// absolute config path. `--install` copies them to /etc/systemd/system (--unit-dir) and runs
// `systemctl daemon-reload` where systemd runs; elsewhere it says so in one line.
#include <spawn.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "../cli.h"
#include "../wiring.h"
#include "dolphin/core/file_system.h"
#include "dolphin/core/host_port.h"
#include "dolphin/systemd_units/unit_files.h"
#include "member.h"

extern char** environ;

namespace dolphin::cli {

namespace {

namespace fs = std::filesystem;

struct GenerateFlags {
  std::string out_dir;
  bool install = false;
  std::string unit_dir = "/etc/systemd/system";
  std::string hazelcast_jar;
};

bool Under(const fs::path& p, const fs::path& dir) {
  auto [d, pi] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return d == dir.end();
}

// Runs argv, returns its exit code (-1 when it could not run).
int RunCommand(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int Generate(const CliContext& ctx, const GenerateFlags& flags) {
  int code = kExitOk;
  auto config = LoadOrReport(ctx, &code);
  if (!config) return code;
  if (config->bus.backend == "memory") {
    PrintError(
        "systemd generate: every unit runs one service as its own process, and the memory bus lives "
        "inside one process; set [bus] backend = \"hazelcast\"");
    return kExitUsage;
  }
  systemd_units::UnitsInput in;
  std::error_code ec;
  in.dolphin_binary = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    PrintError(fmt::format("systemd generate: cannot find this binary (/proc/self/exe): {}",
                           ec.message()));
    return kExitFailure;
  }
  if (!ctx.config_path.empty()) {
    in.config_file = fs::absolute(ctx.config_path).lexically_normal();
    in.working_dir = in.config_file.parent_path();
  } else {
    in.working_dir = fs::current_path();
  }
  in.state_dir = fs::absolute(config->process.state_dir).lexically_normal();
  auto writable = [&](const std::string& service, const fs::path& p) {
    const fs::path abs = fs::absolute(p).lexically_normal();
    if (Under(abs, in.state_dir)) return;  // writable already
    auto& paths = in.writable_paths[service];
    if (std::find(paths.begin(), paths.end(), abs) == paths.end()) paths.push_back(abs);
  };
  writable("bridge", config->bridge.scan_dir);  // quarantining renames files out of it
  writable("bridge", config->bridge.quarantine_dir);
  writable("bridge", config->bridge.state_file.parent_path());
  for (const trader::TraderOptions& t : config->trader.traders) {
    writable("trader", t.journal.parent_path());
    if (config->trader.enabled) in.trader_colors.push_back(t.engine.color);
  }
  in.sim = config->sim.enabled;
  if (in.sim) writable("sim", config->sim.scan_dir);
  in.services = config->services;
  // The worker serves every pool: the seed pools (DESIGN §6) first, then each [pools.<name>].
  for (const std::string& pool : scheduler::SeedPoolNames()) in.worker_pools.push_back(pool);
  for (const auto& [name, pool] : config->scheduler.pools) {
    if (std::find(in.worker_pools.begin(), in.worker_pools.end(), name) == in.worker_pools.end()) {
      in.worker_pools.push_back(name);
    }
  }

  // The member: [services.hazelcast] exec, else java running the jar.
  const fs::path member_config = in.state_dir / "hazelcast" / "hazelcast.yaml";
  // The member gets room for its threads (supervisor::kMemberTasksMax) unless its table says.
  const supervisor::ServiceOptions hz = MemberServiceOptions(config->services);
  if (config->services.count("hazelcast") == 0) in.services["hazelcast"] = hz;
  std::string member_host = "127.0.0.1";
  int member_port = 5701;
  if (!config->bus.members.empty()) {
    if (auto hp = ParseHostPort(config->bus.members.front(), 5701); hp.ok()) {
      member_host = hp->host;
      member_port = hp->port;
    }
  }
  if (!hz.exec.empty()) {
    std::vector<std::string> exec = hz.exec;
    const fs::path program = FindOnPath(exec[0]);
    if (program.empty()) {
      PrintError(fmt::format("systemd generate: [services.hazelcast] exec: {} not found on PATH",
                             exec[0]));
      return kExitUsage;
    }
    exec[0] = program.string();
    in.hazelcast = systemd_units::HazelcastUnit{exec};
  } else {
    const fs::path java = FindOnPath("java");
    if (java.empty()) {
      PrintError(
          "systemd generate: hazelcast.service needs java, not found on PATH (install "
          "openjdk-17-jre-headless, or set [services.hazelcast] exec)");
      return kExitFailure;
    }
    const fs::path jar = MemberJar(flags.hazelcast_jar, in.state_dir);
    if (!fs::exists(jar)) {
      std::fprintf(stderr,
                   "dolphin: warning: hazelcast.service: the member jar %s does not exist yet\n",
                   jar.c_str());
    }
    in.hazelcast = systemd_units::HazelcastUnit{
        systemd_units::HazelcastMemberCommand(java, jar, member_config, hz)};
  }
  if (config->health.enabled && config->health.processes != "systemd") {
    std::fprintf(
        stderr,
        "dolphin: warning: meta_health_daemon.service: [health] processes = \"%s\" makes `serve "
        "health` refuse to start; set processes = \"systemd\"\n",
        config->health.processes.c_str());
  }

  auto units = systemd_units::RenderUnits(in);
  if (!units.ok()) {
    PrintError(fmt::format("systemd generate: {}", units.status().message()));
    return kExitUsage;
  }
  FileSystem& files = FileSystem::Default();
  const fs::path out = fs::absolute(flags.out_dir).lexically_normal();
  std::vector<std::pair<fs::path, std::string>> written;  // relative path, text
  for (const systemd_units::UnitFile& u : *units) written.emplace_back(u.path, u.text);
  std::string member_yaml;
  if (in.hazelcast && hz.exec.empty()) {
    member_yaml =
        systemd_units::HazelcastMemberConfig(config->bus.cluster_name, member_host, member_port);
    written.emplace_back("hazelcast.yaml", member_yaml);
  }
  for (const auto& [rel, text] : written) {
    fs::create_directories((out / rel).parent_path(), ec);
    if (Status st = files.WriteAtomically(out / rel, text, {.sync = false, .mode = 0644});
        !st.ok()) {
      PrintError(fmt::format("systemd generate: {}", st.message()));
      return kExitFailure;
    }
    std::printf("wrote %s\n", (out / rel).c_str());
  }
  std::string enable;
  for (const systemd_units::UnitFile& u : *units) {
    if (u.path.find('/') != std::string::npos) continue;  // drop-ins
    if (u.path.find("@.") != std::string::npos) {
      for (const std::string& c : in.trader_colors)
        enable += fmt::format(" dolphin-nautilus-trader@{}.service", c);
    } else {
      enable += " " + u.path;
    }
  }
  if (!flags.install) {
    std::printf("install: dolphin systemd generate -o %s --install%s, or copy them to %s; then\n",
                flags.out_dir.c_str(),
                ctx.config_path.empty() ? "" : (" -c " + in.config_file.string()).c_str(),
                flags.unit_dir.c_str());
    std::printf("  systemctl daemon-reload && systemctl enable --now%s\n", enable.c_str());
    return kExitOk;
  }

  // --install: the units, the member's config, the writable folders (ReadWritePaths= must exist).
  const fs::path unit_dir = fs::absolute(flags.unit_dir).lexically_normal();
  for (const systemd_units::UnitFile& u : *units) {
    fs::create_directories((unit_dir / u.path).parent_path(), ec);
    if (Status st = files.WriteAtomically(unit_dir / u.path, u.text, {.sync = true, .mode = 0644});
        !st.ok()) {
      PrintError(fmt::format("systemd generate --install: {}", st.message()));
      return kExitFailure;
    }
    std::printf("installed %s\n", (unit_dir / u.path).c_str());
  }
  std::vector<fs::path> dirs = {in.state_dir};
  for (const auto& [service, paths] : in.writable_paths)
    dirs.insert(dirs.end(), paths.begin(), paths.end());
  for (const fs::path& d : dirs) {
    fs::create_directories(d, ec);
    if (ec) {
      PrintError(fmt::format("systemd generate --install: cannot create {}: {}", d.string(),
                             ec.message()));
      return kExitFailure;
    }
  }
  if (!member_yaml.empty()) {
    fs::create_directories(member_config.parent_path(), ec);
    if (Status st = files.WriteAtomically(member_config, member_yaml, {.sync = true, .mode = 0644});
        !st.ok()) {
      PrintError(fmt::format("systemd generate --install: {}", st.message()));
      return kExitFailure;
    }
    std::printf("installed %s\n", member_config.c_str());
  }
  // sd_booted(): /run/systemd/system exists, i.e. systemd is PID 1 here.
  if (sd_booted() <= 0) {
    std::printf(
        "systemd is not running on this host (no /run/systemd/system): units installed, "
        "`systemctl daemon-reload` skipped\n");
    return kExitOk;
  }
  if (int rc = RunCommand({"systemctl", "daemon-reload"}); rc != 0) {
    PrintError(
        fmt::format("systemd generate --install: `systemctl daemon-reload` exited with {}", rc));
    return kExitFailure;
  }
  std::printf("systemctl daemon-reload done; enable with: systemctl enable --now%s\n",
              enable.c_str());
  return kExitOk;
}

}  // namespace

void AddSystemdCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd =
      root.add_subcommand("systemd", "systemd units of this configuration: systemd generate");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* gen = cmd->add_subcommand(
      "generate",
      "Write one unit per service (original names, configured limits, Type=notify, hardening)");
  AddCommonOptions(gen, ctx);
  gen->add_option("-o,--out", flags->out_dir, "Folder to write the units into")->required();
  gen->add_flag(
      "--install", flags->install,
      "Also copy them to --unit-dir and run `systemctl daemon-reload` (where systemd runs)");
  gen->add_option("--unit-dir", flags->unit_dir, "Where --install puts the units")
      ->capture_default_str();
  gen->add_option("--hazelcast-jar", flags->hazelcast_jar,
                  "The member jar hazelcast.service runs (default: $HAZELCAST_JAR, else "
                  "<state_dir>/hazelcast/hazelcast.jar)");
  gen->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return Generate(ctx, *flags); }; });
}

}  // namespace dolphin::cli
