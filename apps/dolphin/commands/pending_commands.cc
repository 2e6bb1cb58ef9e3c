// Verbs of docs/architecture.md §9 whose pieces are not built yet: one line, exit 3.
#include <fmt/format.h>

#include "../cli.h"

namespace dolphin::cli {

namespace {

struct Pending {
  const char* verb;
  const char* help;
};

// `report` (issue 16) is the one verb still pending; a verb that gets built leaves this list.
constexpr Pending kPending[] = {
    {"report", "The daily report: report --day D"},
};

bool HasVerb(CLI::App& root, const std::string& verb) {
  try {
    root.get_subcommand(verb);
    return true;
  } catch (const CLI::Error&) {
    return false;
  }
}

}  // namespace

void AddPendingCommands(CLI::App& root, CliContext& ctx) {
  for (const Pending& p : kPending) {
    if (HasVerb(root, p.verb)) continue;  // Built after all.
    CLI::App* cmd = root.add_subcommand(p.verb, fmt::format("{} [not built yet]", p.help));
    AddCommonOptions(cmd, ctx);
    cmd->allow_extras();
    cmd->prefix_command();
    std::string verb = p.verb;
    cmd->callback([&ctx, verb] {
      ctx.action = [verb] {
        std::fprintf(stderr, "dolphin %s: not built yet\n", verb.c_str());
        return kExitNotBuilt;
      };
    });
  }
}

}  // namespace dolphin::cli
