#include "dolphin/supervisor/service_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "dolphin/core/json.h"

namespace dolphin::supervisor {

namespace {

constexpr double kDay = 86400;

// The one exec-less service that is not a dolphin service: `dolphin up` knows the Hazelcast
// member's command line itself (DESIGN §6).
constexpr std::string_view kHazelcast = "hazelcast";

std::string Quote(std::string_view s) {
  std::string q;
  AppendJsonString(q, s);
  return q;
}

// A limit given as an integer or as a string parsed by `parse`; "infinity" -> nullopt.
template <typename T, typename Parse>
void ReadLimit(ConfigSection& s, const std::string& key, std::optional<T>* out,
               std::string_view expected, bool integer_ok, T min, Parse parse) {
  const ConfigValue* v = s.Raw(key);
  if (v == nullptr) return;
  if (auto* i = std::get_if<int64_t>(&v->value); i != nullptr && integer_ok) {
    if (*i >= min) {
      *out = static_cast<T>(*i);
      return;
    }
  } else if (auto* str = std::get_if<std::string>(&v->value)) {
    auto parsed = parse(*str);
    if (parsed.ok() && (!parsed->has_value() || **parsed >= min)) {
      *out = *parsed;
      return;
    }
  }
  s.ErrorExpected(key, expected);
}

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Reads one service table over `o` (the defaults, or [services.trader] for a colour).
void ParseOne(ConfigSection& s, const std::string& name, const std::vector<std::string>& configured,
              ServiceOptions& o) {
  s.Read("enabled", &o.enabled);
  ReadLimit<int64_t>(s, "memory_max", &o.memory_max,
                     "bytes as an integer >= 1 or a string such as \"2G\", \"512M\", \"1024K\" or "
                     "\"infinity\"",
                     true, 1, ParseByteSize);
  ReadLimit<int64_t>(s, "memory_swap_max", &o.memory_swap_max,
                     "bytes as an integer >= 0 or a string such as \"0\", \"512M\" or \"infinity\"",
                     true, 0, ParseByteSize);
  ReadLimit<double>(s, "cpu_quota", &o.cpu_quota_percent,
                    "a percentage of one core such as \"200%\" or \"infinity\"", false, 0.0,
                    ParseCpuQuota);
  ReadLimit<int64_t>(s, "tasks_max", &o.tasks_max, "an integer >= 1 or \"infinity\"", true, 1,
                     [](std::string_view t) -> Result<std::optional<int64_t>> {
                       if (t == "infinity") return std::optional<int64_t>();
                       return InvalidArgumentError("not infinity");
                     });
  std::string restart(RestartPolicyName(o.restart));
  s.ReadEnum("restart", &restart, {"always", "on-failure", "no"});
  o.restart = restart == "always"       ? RestartPolicy::kAlways
              : restart == "on-failure" ? RestartPolicy::kOnFailure
                                        : RestartPolicy::kNo;
  s.ReadSeconds("restart_sec", &o.restart_sec, 0, kDay);
  s.ReadSeconds("start_limit_interval_s", &o.start_limit_interval, 0, kDay);
  s.Read("start_limit_burst", &o.start_limit_burst, 1, 10000);
  s.ReadSeconds("watchdog_s", &o.watchdog, 0, kDay);
  s.ReadSeconds("timeout_stop_s", &o.timeout_stop, 0, kDay);
  s.ReadSeconds("ready_timeout_s", &o.ready_timeout, 0.1, kDay);
  if (s.Has("after")) {
    std::vector<std::string> after;
    s.Read("after", &after);
    for (const std::string& a : after) {
      const std::string_view base = std::string_view(a).substr(0, a.find('.'));
      if (!ValidName(std::string(base)) || (a.find('.') != std::string::npos && base != "trader")) {
        s.ErrorAt("after", fmt::format("expected service names, got {}", Quote(a)));
      } else if (a == name) {
        s.ErrorAt("after", fmt::format("expected other services, got {} itself", Quote(a)));
      } else if (!IsDolphinService(a) && a != kHazelcast &&
                 std::find(configured.begin(), configured.end(), a) == configured.end()) {
        s.ErrorAt("after",
                  fmt::format("expected a service ({}, hazelcast or a configured one), got {}",
                              fmt::join(DolphinServiceNames(), ", "), Quote(a)));
      }
    }
    o.after = std::move(after);
  }
  s.Read("exec", &o.exec);
  if (s.Has("exec")) {
    if (IsDolphinService(name)) {
      s.ErrorAt("exec", fmt::format("expected no exec for the dolphin service {} (it runs as "
                                    "`dolphin serve {}`), got a command",
                                    name, name.substr(0, name.find('.'))));
    } else if (o.exec.empty() || o.exec.front().empty()) {
      s.ErrorAt("exec", "expected a command as [\"program\", \"arg\", ...], got an empty program");
    }
  } else if (!IsDolphinService(name) && name != kHazelcast && s.present()) {
    s.ErrorAt("exec", fmt::format("expected exec = [\"program\", ...]: {} is not a dolphin "
                                  "service ({})",
                                  name, fmt::join(DolphinServiceNames(), ", ")));
  }
  s.Read("env", &o.env);
  for (const auto& [k, v] : o.env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos) {
      s.ErrorAt("env", fmt::format("expected variable names without '=', got {}", Quote(k)));
    }
  }
  s.ReadPath("working_dir", &o.working_dir);
}

}  // namespace

std::string_view RestartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
    case RestartPolicy::kNo: return "no";
  }
  return "always";
}

const std::vector<std::string>& DolphinServiceNames() {
  static const std::vector<std::string> kNames = {"bridge", "trader",    "sim",   "health",
                                                  "safety", "scheduler", "worker"};
  return kNames;
}

bool IsDolphinService(std::string_view name) {
  std::string_view base = name.substr(0, name.find('.'));
  if (base.size() != name.size() && base != "trader") return false;
  const auto& names = DolphinServiceNames();
  return std::find(names.begin(), names.end(), base) != names.end();
}

Result<ServicesOptions> ParseServicesOptions(ConfigSection services) {
  ServicesOptions out;
  int errors = 0;
  const std::vector<std::string> configured = services.SubsectionNames();
  for (const std::string& name : configured) {
    ConfigSection s = services.Sub(name);
    if (!ValidName(name)) {
      services.ErrorAt(name, "expected a service name of letters, digits, '_' and '-'");
      ++errors;
      continue;
    }
    ServiceOptions o = DefaultServiceOptions(name);
    ParseOne(s, name, configured, o);
    if (name == "trader") {
      for (const std::string& colour : s.SubsectionNames()) {
        if (colour == "env") continue;
        ConfigSection c = s.Sub(colour);
        ServiceOptions per_colour = o;
        std::string full = "trader." + colour;
        if (!ValidName(colour)) {
          s.ErrorAt(colour, "expected a colour of letters, digits, '_' and '-'");
          continue;
        }
        ParseOne(c, full, configured, per_colour);
        c.RejectUnknownKeys();
        errors += c.error_count();
        out.emplace(full, std::move(per_colour));
      }
    }
    s.RejectUnknownKeys();
    errors += s.error_count();
    // [services.trader.BLUE] alone makes an implicit [services.trader]: not a configured table.
    constexpr std::string_view kKeys[] = {"enabled",
                                          "memory_max",
                                          "memory_swap_max",
                                          "cpu_quota",
                                          "tasks_max",
                                          "restart",
                                          "restart_sec",
                                          "start_limit_interval_s",
                                          "start_limit_burst",
                                          "watchdog_s",
                                          "timeout_stop_s",
                                          "exec",
                                          "env",
                                          "working_dir",
                                          "ready_timeout_s",
                                          "after"};
    const bool own_keys = std::any_of(std::begin(kKeys), std::end(kKeys),
                                      [&](std::string_view k) { return s.Has(std::string(k)); });
    if (name != "trader" || own_keys) out.emplace(name, std::move(o));
  }
  services.RejectUnknownKeys();
  errors += services.error_count();
  if (errors > 0) return InvalidArgumentError("invalid [services] section");
  return out;
}

void WriteServicesOptions(const ServicesOptions& options, ConfigWriter& out) {
  for (const auto& [name, o] : options) {
    std::string section = "services." + name;
    out.Section(section, name == options.begin()->first
                             ? "supervised services: limits and restart policy (docs/supervisor.md)"
                             : "");
    out.Value("enabled", o.enabled);
    out.Value("memory_max", FormatByteSize(o.memory_max));
    out.Value("memory_swap_max", FormatByteSize(o.memory_swap_max));
    out.Value("cpu_quota", FormatCpuQuota(o.cpu_quota_percent));
    if (o.tasks_max) {
      out.Value("tasks_max", *o.tasks_max);
    } else {
      out.Value("tasks_max", "infinity");
    }
    out.Value("restart", RestartPolicyName(o.restart));
    out.Value("restart_sec", SecondsOf(o.restart_sec));
    out.Value("start_limit_interval_s", SecondsOf(o.start_limit_interval));
    out.Value("start_limit_burst", o.start_limit_burst);
    out.Value("watchdog_s", SecondsOf(o.watchdog));
    out.Value("timeout_stop_s", SecondsOf(o.timeout_stop));
    out.Value("ready_timeout_s", SecondsOf(o.ready_timeout));
    if (o.after) out.Value("after", *o.after);
    if (!o.exec.empty()) out.Value("exec", o.exec);
    out.Value("env", o.env);
    if (!o.working_dir.empty()) out.Value("working_dir", o.working_dir.string());
  }
}

ServiceOptions DefaultServiceOptions(std::string_view name) {
  ServiceOptions o;
  if (name == kHazelcast) o.tasks_max = kMemberTasksMax;
  return o;
}

std::vector<std::string> DefaultAfter(std::string_view name) {
  if (name == kHazelcast || !IsDolphinService(name)) return {};
  if (name == "bridge") return {std::string(kHazelcast)};
  return {std::string(kHazelcast), "bridge"};
}

std::vector<std::string> AfterOf(std::string_view name, const ServiceOptions& options) {
  return options.after ? *options.after : DefaultAfter(name);
}

ServiceOptions EffectiveServiceOptions(const ServicesOptions& options, std::string_view name) {
  if (auto it = options.find(std::string(name)); it != options.end()) return it->second;
  if (name.substr(0, 7) == "trader.") {
    if (auto it = options.find("trader"); it != options.end()) return it->second;
  }
  return DefaultServiceOptions(name);
}

Result<std::optional<int64_t>> ParseByteSize(std::string_view text) {
  if (text == "infinity") return std::optional<int64_t>();
  auto bad = [&] {
    return InvalidArgumentError(fmt::format(
        "expected bytes such as \"2G\", \"512M\", \"1024K\", \"4096\" or \"infinity\", got {}",
        Quote(text)));
  };
  if (text.empty()) return bad();
  int shift = 0;
  switch (text.back()) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: break;
  }
  std::string_view digits = shift == 0 ? text : text.substr(0, text.size() - 1);
  if (digits.empty()) return bad();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0) return bad();
  if (n > (std::numeric_limits<int64_t>::max() >> shift)) return bad();
  return std::optional<int64_t>(n << shift);
}

std::string FormatByteSize(std::optional<int64_t> bytes) {
  if (!bytes) return "infinity";
  int64_t n = *bytes;
  if (n == 0) return "0";
  for (auto [shift, suffix] :
       {std::pair{40, 'T'}, std::pair{30, 'G'}, std::pair{20, 'M'}, std::pair{10, 'K'}}) {
    if (n % (int64_t{1} << shift) == 0) return fmt::format("{}{}", n >> shift, suffix);
  }
  return fmt::format("{}", n);
}

Result<std::optional<double>> ParseCpuQuota(std::string_view text) {
  if (text == "infinity") return std::optional<double>();
  auto bad = [&] {
    return InvalidArgumentError(fmt::format(
        "expected a percentage of one core such as \"200%\" or \"infinity\", got {}", Quote(text)));
  };
  if (text.size() < 2 || text.back() != '%') return bad();
  std::string digits(text.substr(0, text.size() - 1));
  if (digits.find_first_not_of("0123456789.") != std::string::npos) return bad();
  char* end = nullptr;
  double v = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size() || !std::isfinite(v) || v <= 0 || v > 1e6) return bad();
  return std::optional<double>(v);
}

std::string FormatCpuQuota(std::optional<double> percent) {
  if (!percent) return "infinity";
  return FormatDouble(*percent) + "%";
}

}  // namespace dolphin::supervisor
