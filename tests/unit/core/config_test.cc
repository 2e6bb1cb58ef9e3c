#include "dolphin/core/config.h"

#include "dolphin/testing/testing.h"

namespace dolphin {
namespace {

using testing::StatusHasMessage;

Config Load(std::string_view text) {
  auto c = Config::LoadString(text, "dolphin.toml", "/etc/dolphin");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(ConfigTest, ReadsTypedValuesAndKeepsDefaults) {
  Config c = Load(R"(
state_dir = "state"
[bridge]
settle_ms = 1500
ratio = 2
name = "x"
on = true
list = ["a", "b"]
)");
  ConfigDiagnostics diag;
  ConfigSection root = c.Root(&diag);
  std::filesystem::path state = "./var";
  root.ReadPath("state_dir", &state);
  EXPECT_EQ(state, "/etc/dolphin/state");
  ConfigSection b = root.Sub("bridge");
  int64_t settle = 2000, missing = 7;
  double ratio = 0;
  std::string name;
  bool on = false;
  std::vector<std::string> list;
  b.Read("settle_ms", &settle, 0);
  b.Read("missing", &missing);
  b.Read("ratio", &ratio, 0, 10);
  b.Read("name", &name);
  b.Read("on", &on);
  b.Read("list", &list);
  b.RejectUnknownKeys();
  root.RejectUnknownKeys();
  EXPECT_TRUE(diag.ok()) << diag.errors()[0];
  EXPECT_EQ(settle, 1500);
  EXPECT_EQ(missing, 7);
  EXPECT_EQ(ratio, 2.0);
  EXPECT_EQ(name, "x");
  EXPECT_TRUE(on);
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
}

TEST(ConfigTest, ReportsEveryProblemWithFileLineKeyAndExpectation) {
  Config c = Load(R"(
[bridge]
settle_ms = "soon"
poll_interval_ms = -5
mode = "fast"
typo_key = 1
)");
  ConfigDiagnostics diag;
  ConfigSection root = c.Root(&diag);
  ConfigSection b = root.Sub("bridge");
  int64_t settle = 2000, poll = 0;
  std::string mode = "auto";
  b.Read("settle_ms", &settle, 0);
  b.Read("poll_interval_ms", &poll, 0);
  b.ReadEnum("mode", &mode, {"auto", "inotify"});
  b.RejectUnknownKeys();
  root.RejectUnknownKeys();
  ASSERT_EQ(diag.errors().size(), 4u);
  EXPECT_EQ(diag.errors()[0],
            "dolphin.toml:3: [bridge] settle_ms: expected an integer >= 0, got a string \"soon\"");
  EXPECT_EQ(
      diag.errors()[1],
      "dolphin.toml:4: [bridge] poll_interval_ms: expected an integer >= 0, got an integer -5");
  EXPECT_EQ(diag.errors()[2],
            "dolphin.toml:5: [bridge] mode: expected one of \"auto\", \"inotify\", got \"fast\"");
  EXPECT_EQ(diag.errors()[3], "dolphin.toml:6: [bridge] typo_key: unknown key in [bridge]");
  EXPECT_EQ(settle, 2000);  // Defaults stay in place.
  EXPECT_EQ(mode, "auto");
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  auto c = Config::LoadString("a = [1,\nb = ", "x.toml", "/");
  EXPECT_THAT(c, StatusHasMessage("x.toml:"));
  EXPECT_THAT(c, StatusHasMessage("invalid TOML"));
}

TEST(ConfigTest, MissingFileIsAClearError) {
  EXPECT_THAT(Config::LoadFile("/nonexistent/dolphin.toml"),
              StatusHasMessage("/nonexistent/dolphin.toml: cannot read config file"));
}

TEST(ConfigTest, SubsectionsListNestedTables) {
  Config c = Load("[trader.BLUE]\nx = 1\n[trader.GREEN]\ny = 2\n");
  ConfigDiagnostics diag;
  ConfigSection root = c.Root(&diag);
  ConfigSection t = root.Sub("trader");
  EXPECT_EQ(t.SubsectionNames(), (std::vector<std::string>{"BLUE", "GREEN"}));
  t.RejectUnknownKeys();
  EXPECT_TRUE(diag.ok());
}

TEST(ConfigTest, WrongTypeForATableIsReported) {
  Config c = Load("bridge = 3\n");
  ConfigDiagnostics diag;
  ConfigSection root = c.Root(&diag);
  ConfigSection b = root.Sub("bridge");
  EXPECT_FALSE(b.present());
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.errors()[0], "dolphin.toml:1: bridge: expected a table, got an integer 3");
}

TEST(ConfigTest, ReadsATableOfStrings) {
  Config c = Load("[x]\nenv = { LANG = \"C\", \"A.B\" = \"1 2\" }\nbad = { N = 3 }\nnot = 4\n");
  ConfigDiagnostics diag;
  ConfigSection x = c.Root(&diag).Sub("x");
  std::map<std::string, std::string> env, bad = {{"KEPT", "1"}}, nope, missing = {{"D", "d"}};
  x.Read("env", &env);
  x.Read("bad", &bad);
  x.Read("not", &nope);
  x.Read("missing", &missing);
  x.RejectUnknownKeys();
  EXPECT_EQ(env, (std::map<std::string, std::string>{{"A.B", "1 2"}, {"LANG", "C"}}));
  EXPECT_EQ(bad, (std::map<std::string, std::string>{{"KEPT", "1"}}));
  EXPECT_EQ(missing, (std::map<std::string, std::string>{{"D", "d"}}));
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0],
            "dolphin.toml:3: [x] bad: expected a table of strings, \"N\" is an integer");
  EXPECT_EQ(
      diag.errors()[1],
      "dolphin.toml:4: [x] not: expected a table of strings such as { NAME = \"value\" }, got an "
      "integer 4");
}

TEST(ConfigWriterTest, WritesATableOfStringsThatReadsBack) {
  ConfigWriter w;
  w.Section("x");
  const std::map<std::string, std::string> env = {{"A.B", "q\"uote"}, {"LANG", "C"}};
  w.Value("env", env);
  w.Value("none", std::map<std::string, std::string>{});
  auto c = Config::LoadString(w.text(), "shown", "/");
  ASSERT_TRUE(c.ok()) << w.text();
  ConfigDiagnostics diag;
  ConfigSection x = c->Root(&diag).Sub("x");
  std::map<std::string, std::string> back, none = {{"X", "y"}};
  x.Read("env", &back);
  x.Read("none", &none);
  EXPECT_EQ(back, env);
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(diag.ok());
}

TEST(ConfigWriterTest, WritesParseableToml) {
  ConfigWriter w;
  w.Section("api");
  w.Value("listen", "127.0.0.1:4200");
  w.Value("n", int64_t{3});
  w.Value("x", 2.0);
  w.Value("on", true);
  w.Value("list", std::vector<std::string>{"a", "b\"c"});
  auto c = Config::LoadString(w.text(), "shown", "/");
  ASSERT_TRUE(c.ok()) << w.text();
  ConfigDiagnostics diag;
  auto api = c->Root(&diag).Sub("api");
  double x = 0;
  api.Read("x", &x);
  EXPECT_EQ(x, 2.0);
}

}  // namespace
}  // namespace dolphin
