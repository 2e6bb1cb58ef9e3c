// `dolphin arrow cat|schema FILE` (docs/architecture.md §8 and §9): rows as JSON Lines, or the
// schema. Both detect the IPC file vs stream format; a bad file exits 1 with one line saying what
// is wrong.
#include <iostream>
#include <memory>
#include <string>

#include "../cli.h"
#include "dolphin/arrow/json_writer.h"

namespace dolphin::cli {

void AddArrowCommand(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd = root.add_subcommand("arrow", "Inspect Arrow IPC files (file or stream format)");
  cmd->require_subcommand(1);
  AddCommonOptions(cmd, ctx);
  struct Verb {
    const char* name;
    const char* help;
  };
  for (const Verb& v : {Verb{"cat", "Print every row as one JSON object per line (JSON Lines)"},
                        Verb{"schema",
                             "Print the schema: fields, types, nullability, "
                             "dictionaries, metadata"}}) {
    CLI::App* sub = cmd->add_subcommand(v.name, v.help);
    AddCommonOptions(sub, ctx);
    auto file = std::make_shared<std::string>();
    sub->add_option("FILE", *file, "Arrow IPC file or stream")->required();
    std::string verb = v.name;
    sub->callback([&ctx, verb, file] {
      ctx.action = [verb, file] {
        return arrow::RunArrowCommand({verb, *file}, std::cout, std::cerr);
      };
    });
  }
}

}  // namespace dolphin::cli
