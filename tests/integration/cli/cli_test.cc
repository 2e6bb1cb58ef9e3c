// The dolphin binary end to end: real processes, real files, loopback HTTP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "dolphin/api/control_api.h"
#include "dolphin/core/config.h"
#include "dolphin/core/json.h"
#include "dolphin/testing/subprocess.h"
#include "dolphin/testing/testing.h"

namespace dolphin::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  ProcessResult Dolphin(std::vector<std::string> args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    args.insert(args.begin(), DolphinBinary());
    return RunProcess(args, dir_.path(), timeout);
  }
  void WriteConfig(const std::string& text, const std::string& name = "dolphin.toml") {
    std::ofstream(dir_.path() / name) << text;
  }
  TempDir dir_;
};

TEST_F(CliTest, HelpListsEveryVerbOfTheDesign) {
  auto r = Dolphin({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* verb : {"run", "serve", "sim", "arrow", "bus", "status", "health", "trader",
                           "systemd", "pool", "deployment", "flow-run", "backtest", "config"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + verb + " "), std::string::npos) << verb;
  }
  r = Dolphin({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "dolphin 0.1.0\n");
}

TEST_F(CliTest, EveryVerbHasHelpAndConfigFlag) {
  for (const char* verb : {"run", "serve", "bus", "status", "config"}) {
    auto r = Dolphin({verb, "--help"});
    EXPECT_EQ(r.exit_code, 0) << verb;
    EXPECT_NE(r.out.find("-c,--config"), std::string::npos) << verb;
  }
}

TEST_F(CliTest, UsageErrorsExitTwoWithOneLine) {
  auto r = Dolphin({"run", "--duration", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = Dolphin({"bus", "get", "onlymap"});
  EXPECT_EQ(r.exit_code, 2);
  r = Dolphin({"run", "-c", "missing.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.toml"), std::string::npos);
}

TEST_F(CliTest, ReportAndBatchNameBadDaysAndMissingScans) {
  auto r = Dolphin({"report", "--day", "2026-02-30"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "dolphin: report: bad day \"2026-02-30\": no such date\n");
  r = Dolphin({"report"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--day is required"), std::string::npos) << r.err;
  // No scan folder yet: one line naming it.
  r = Dolphin({"report", "--day", "2026-03-25", "-q"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("report --day 2026-03-25: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scans: not a folder of scan files"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = Dolphin({"batch", "daily-backtest", "--day", "25/03/2026"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("batch daily-backtest: bad day \"25/03/2026\""), std::string::npos) << r.err;
  r = Dolphin({"batch"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, ConfigShowPrintsEffectiveDefaults) {
  auto r = Dolphin({"config", "show"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("listen = \"127.0.0.1:4200\""), std::string::npos);
  EXPECT_NE(r.out.find("backend = \"memory\""), std::string::npos);
  EXPECT_NE(r.out.find("heartbeat_interval_s = 5.0"), std::string::npos);
  // What it prints is itself a valid config file.
  WriteConfig(r.out, "shown.toml");
  auto again = Dolphin({"config", "show", "-c", "shown.toml"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

// Every key of a parsed config, by its dotted path, with its type and value.
void Flatten(const ConfigTable& table, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  for (const auto& [key, v] : table) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (const auto* sub = std::get_if<ConfigTable>(&v.value)) {
      Flatten(*sub, path, out);
      continue;
    }
    std::string text = v.TypeName() + ":";
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          (void)x;  // unused for the types dolphin never reads
          if constexpr (std::is_same_v<T, std::string>) {
            text += x;
          } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                               std::is_same_v<T, double>) {
            text += fmt::format("{}", x);
          } else if constexpr (std::is_same_v<T, ConfigArray>) {
            for (const ConfigValue& item : x) {
              if (const auto* s = std::get_if<std::string>(&item.value)) text += *s + ",";
            }
          }
        },
        v.value);
    (*out)[path] = text;
  }
}

std::map<std::string, std::string> ParsedKeys(const std::string& toml) {
  Result<Config> config = Config::LoadString(toml, "shown.toml", ".");
  EXPECT_OK(config);
  std::map<std::string, std::string> keys;
  if (config.ok()) Flatten(config->root(), "", &keys);
  return keys;
}

// `config show` prints the effective config; parsed again it gives the same keys and values,
// except a password, which is never printed (so never re-read as asterisks).
TEST_F(CliTest, ConfigShowRoundTripsKeyByKeyAndNeverPrintsThePassword) {
  constexpr const char* kConfig = R"(heartbeat_interval_s = 2.5
[api]
listen = "127.0.0.1:0"
[bus]
backend = "hazelcast"
members = ["10.0.0.1:5701", "10.0.0.2:5702"]
cluster_name = "prod"
username = "dolphin"
password = "s3cret-pass"
listener_queue_capacity = 64
)";
  WriteConfig(kConfig);
  auto shown = Dolphin({"config", "show", "-c", "dolphin.toml"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out.find("s3cret-pass"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("****"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("# password = <redacted>"), std::string::npos) << shown.out;

  const std::map<std::string, std::string> original = ParsedKeys(kConfig);
  const std::map<std::string, std::string> printed = ParsedKeys(shown.out);
  ASSERT_FALSE(printed.empty());
  for (const auto& [key, value] : original) {
    if (key == "bus.password") {
      EXPECT_EQ(printed.count(key), 0u) << "the password is shown as " << printed.at(key);
      continue;
    }
    ASSERT_EQ(printed.count(key), 1u) << key << " is missing from the shown config";
    EXPECT_EQ(printed.at(key), value) << key;
  }

  // Shown again from what it printed: the same content, key by key.
  WriteConfig(shown.out, "shown.toml");
  auto again = Dolphin({"config", "show", "-c", "shown.toml"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::map<std::string, std::string> again_keys = ParsedKeys(again.out);
  // Re-read, the shown file has no password: shown as an empty one, never as asterisks.
  EXPECT_EQ(again_keys["bus.password"], "a string:");
  again_keys.erase("bus.password");
  EXPECT_EQ(again_keys, printed);
  // The defaults too.
  auto defaults = Dolphin({"config", "show"});
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  WriteConfig(defaults.out, "defaults.toml");
  auto defaults_again = Dolphin({"config", "show", "-c", "defaults.toml"});
  ASSERT_EQ(defaults_again.exit_code, 0) << defaults_again.err;
  EXPECT_EQ(ParsedKeys(defaults_again.out), ParsedKeys(defaults.out));
}

TEST_F(CliTest, EveryConfigProblemIsReportedAtOnce) {
  WriteConfig(R"(heartbeat_interval_s = "often"
typo = 1
[api]
listen = "everywhere"
[bus]
backend = "redis"
[trader.BLUE]
strategy = "magic"
[housekeeping.scans]
retention_days = "forever"
)");
  auto r = Dolphin({"config", "show", "-c", "dolphin.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("dolphin.toml:1: heartbeat_interval_s: expected a number"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("dolphin.toml:2: typo: unknown key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dolphin.toml:4: [api] listen: bad address \"everywhere\""),
            std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find(
          "dolphin.toml:6: [bus] backend: expected one of \"memory\", \"hazelcast\", got \"redis\""),
      std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find(
          "dolphin.toml:8: [trader.BLUE] strategy: expected one of \"vel_div\", got \"magic\""),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("dolphin.toml:10: [housekeeping.scans] retention_days: expected an integer"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
}

// Issue 12: defaults that never change silently. Without a config file safety runs and the
// trader's posture is "bus"; with a file safety is off and the posture TURTLE; config show says
// which; safety without health is refused in one line.
TEST_F(CliTest, SafetyDefaultsFollowTheConfigFileAndAreShown) {
  auto none = Dolphin({"config", "show"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("[safety]"), std::string::npos) << none.out;
  const size_t safety = none.out.find("[safety]");
  EXPECT_EQ(none.out.find("enabled = true", safety), none.out.find("\n", safety) + 1) << none.out;
  EXPECT_NE(none.out.find("posture = \"bus\""), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("max_posture = \"STALKER\""), std::string::npos) << none.out;

  WriteConfig("[api]\nlisten = \"127.0.0.1:0\"\n");
  auto file = Dolphin({"config", "show", "-c", "dolphin.toml"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  const size_t off = file.out.find("[safety]");
  ASSERT_NE(off, std::string::npos) << file.out;
  EXPECT_EQ(file.out.find("enabled = false", off), file.out.find("\n", off) + 1) << file.out;
  EXPECT_NE(file.out.find("posture = \"TURTLE\""), std::string::npos) << file.out;

  WriteConfig("[safety]\nenabled = true\n[health]\nenabled = false\n");
  auto bad = Dolphin({"config", "show", "-c", "dolphin.toml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("[safety] enabled = true needs [health] enabled"), std::string::npos)
      << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST_F(CliTest, ServeRefusesTheEmbeddedBus) {
  auto r = Dolphin({"serve", "bridge"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("memory bus lives inside one process"), std::string::npos) << r.err;
}

TEST_F(CliTest, BusVerbsWithoutARunningDolphinSayWhy) {
  auto r = Dolphin({"bus", "get", "DOLPHIN_HEARTBEAT", "run"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no running dolphin found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("api.addr"), std::string::npos);
}

// With a shared bus the verbs connect to it themselves; when no member answers they say so in
// one line and exit 1 (the verbs against a real member: tests/unit/bus_hazelcast).
TEST_F(CliTest, BusVerbsWithHazelcastAndNoMemberSayWhichMembersWereTried) {
  int port = 0;
  {
    // A port nothing listens on: bind, read it, close.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  const std::string member = "127.0.0.1:" + std::to_string(port);
  WriteConfig("[bus]\nbackend = \"hazelcast\"\nmembers = [\"" + member + "\"]\n");
  const std::vector<std::vector<std::string>> verbs = {{"bus", "get", "M", "k"},
                                                       {"bus", "put", "M", "k", "1"},
                                                       {"bus", "keys"},
                                                       {"bus", "watch", "M"},
                                                       {"status"}};
  for (std::vector<std::string> verb : verbs) {
    verb.push_back("-c");
    verb.push_back("dolphin.toml");
    auto r = Dolphin(verb);
    EXPECT_EQ(r.exit_code, 1) << verb[1];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(
        r.err.find("no hazelcast member answered (tried " + member + "; cluster \"dolphin\")"),
        std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(CliTest, RunServesHeartbeatsToOtherProcessesAndStopsCleanlyOnSigterm) {
  WriteConfig("heartbeat_interval_s = 0.2\n[api]\nlisten = \"127.0.0.1:0\"\n");
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  const auto state = dir_.path() / "var";
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(state / "api.addr"); })) << run.Stderr();
  // Another shell reads the heartbeat through the control API.
  ProcessResult get;
  ASSERT_TRUE(WaitFor([&] {
    get = Dolphin({"bus", "get", "DOLPHIN_HEARTBEAT", "run", "-c", "dolphin.toml", "--raw"});
    return get.exit_code == 0;
  })) << get.err;
  auto hb = ParseJson(get.out);
  ASSERT_TRUE(hb.ok()) << get.out;
  EXPECT_EQ((*hb)["service"], "run");
  EXPECT_EQ((*hb)["status"], "ok");
  EXPECT_EQ((*hb)["pid"], run.pid());
  for (const char* f : {"service", "pid", "host", "ts", "status", "detail"})
    EXPECT_TRUE(hb->contains(f)) << f;

  auto put = Dolphin(
      {"bus", "put", "DOLPHIN_SAFETY", "latest", R"({"posture":"APEX"})", "-c", "dolphin.toml"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  auto keys = Dolphin({"bus", "keys", "DOLPHIN_SAFETY", "-c", "dolphin.toml"});
  EXPECT_EQ(keys.out, "latest\n");
  auto status = Dolphin({"status", "-c", "dolphin.toml"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\nSERVICE "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("\nrun "), std::string::npos)
      << status.out;  // this process's heartbeat row
  auto watch = Dolphin(
      {"bus", "watch", "DOLPHIN_HEARTBEAT", "run", "-n", "2", "--json", "-c", "dolphin.toml"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_NE(watch.out.find("\"type\":\"SNAPSHOT\""), std::string::npos) << watch.out;
  EXPECT_NE(watch.out.find("\"type\":\"UPDATED\""), std::string::npos) << watch.out;
  // --timeout ends a watch on a key that does not change.
  auto timed = Dolphin(
      {"bus", "watch", "DOLPHIN_SAFETY", "latest", "--timeout", "1.5", "-c", "dolphin.toml"});
  EXPECT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_EQ(timed.out, "SNAPSHOT latest {\"posture\":\"APEX\"}\n");

  // A wrong token is refused.
  std::ofstream(state / "api.token") << "not-the-token\n";
  auto denied = Dolphin({"bus", "put", "M", "k", "1", "-c", "dolphin.toml"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("403"), std::string::npos) << denied.err;

  run.Signal(SIGTERM);
  auto r = run.Wait(std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("status up="), std::string::npos);
  EXPECT_NE(r.err.find("reason=signal"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(state / "api.addr"));
}

// Outside data (issue 10): an API reply carrying a heartbeat of the wrong shape (another
// client wrote it to the bus) is printed, never a crash of `dolphin status`.
TEST_F(CliTest, StatusPrintsAMistypedHeartbeatInsteadOfCrashing) {
  WriteConfig("heartbeat_interval_s = 60\n[api]\nlisten = \"127.0.0.1:0\"\n");
  Subprocess run({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  const auto state = dir_.path() / "var";
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(state / "api.addr"); })) << run.Stderr();
  ProcessResult put;
  ASSERT_TRUE(WaitFor([&] {
    put = Dolphin({"bus", "put", "DOLPHIN_HEARTBEAT", "odd",
                   R"({"status":5,"ts":7,"detail":["x"]})", "-c", "dolphin.toml"});
    return put.exit_code == 0;
  })) << put.err;
  auto status = Dolphin({"status", "-c", "dolphin.toml"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("odd"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("[\"x\"]"), std::string::npos) << status.out;
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(std::chrono::seconds(10)).exit_code, 0);
}

TEST_F(CliTest, RunForADurationAndJsonLogs) {
  WriteConfig(
      "heartbeat_interval_s = 0.1\n[api]\nlisten = \"127.0.0.1:0\"\n[log]\nformat = \"json\"\n");
  auto r = Dolphin({"run", "-c", "dolphin.toml", "--duration", "0.5"}, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  int lines = 0;
  std::istringstream in(r.err);
  for (std::string line; std::getline(in, line);) {
    auto j = ParseJson(line);
    ASSERT_TRUE(j.ok()) << line;
    EXPECT_TRUE(j->contains("ts") && j->contains("level") && j->contains("msg"));
    ++lines;
  }
  EXPECT_GE(lines, 5);
}

TEST_F(CliTest, SecondRunOnTheSamePortFailsClearly) {
  WriteConfig("[api]\nlisten = \"127.0.0.1:0\"\n");
  Subprocess first({DolphinBinary(), "run", "-c", "dolphin.toml"}, dir_.path());
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_.path() / "var" / "api.addr"); }));
  auto addr = api::ReadApiAddr(dir_.path() / "var");
  ASSERT_TRUE(addr.ok());
  WriteConfig("state_dir = \"var2\"\n[api]\nlisten = \"" + *addr + "\"\n", "second.toml");
  auto r = Dolphin({"run", "-c", "second.toml", "--duration", "5"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on " + *addr), std::string::npos) << r.err;
  first.Signal(SIGINT);
  EXPECT_EQ(first.Wait().exit_code, 0);
}

}  // namespace
}  // namespace dolphin::testing
