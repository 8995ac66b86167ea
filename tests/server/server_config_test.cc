// adminara-server's configuration: defaults, environment, flags (which win), and the error
// messages for every kind of bad value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "config.h"

namespace adminara::server {
namespace {

using ::testing::HasSubstr;

EnvGetter env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(const std::vector<std::string>& args,
                     std::map<std::string, std::string> vars = {}) {
  try {
    load_config(args, env_of(std::move(vars)), nullptr);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), Millis(500));
  EXPECT_EQ(parse_duration("30s"), Millis(30000));
  EXPECT_EQ(parse_duration("5m"), Millis(300000));
  EXPECT_EQ(parse_duration("24h"), Millis(86400000));
  EXPECT_EQ(parse_duration("7d"), Millis(604800000));
  EXPECT_EQ(parse_duration("0s"), Millis(0));
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "s", "5", "5 s", " 5s", "5S", "-5s", "1.5s", "5min", "5sec",
                          "999999999999999999d", "5s5"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(FormatDuration, ShortestExactUnit) {
  EXPECT_EQ(format_duration(Millis(500)), "500ms");
  EXPECT_EQ(format_duration(Millis(90000)), "90s");
  EXPECT_EQ(format_duration(Millis(300000)), "5m");
  EXPECT_EQ(format_duration(Millis(0)), "0ms");
  for (long long ms : {1LL, 1500LL, 60000LL, 3600000LL, 86400000LL * 3}) {
    EXPECT_EQ(parse_duration(format_duration(Millis(ms))), Millis(ms)) << ms;
  }
}

TEST(LoadConfig, EmbeddedDefaults) {
  CommandLine cl;
  ServerConfig c = load_config({}, env_of({}), &cl);
  EXPECT_EQ(c.http_host, "127.0.0.1");
  EXPECT_EQ(c.http_port, 8080);
  EXPECT_EQ(c.turn_rotation_interval, Millis(24LL * 3600 * 1000));
  EXPECT_EQ(c.session_cleanup_interval, Millis(5 * 60 * 1000));
  EXPECT_EQ(c.retention_schedule, "0 3 * * *");
  EXPECT_FALSE(cl.print_config);
  EXPECT_FALSE(cl.help);
}

TEST(LoadConfig, EnvironmentThenFlagsWhichWin) {
  const auto env = env_of({{"ADMINARA_HTTP_PORT", "9000"},
                           {"ADMINARA_HTTP_HOST", "0.0.0.0"},
                           {"SESSION_CLEANUP_INTERVAL", "10s"},
                           {"RETENTION_SCHEDULE", "*/5 * * * * *"},
                           {"TURN_URIS", "turn:a:3478, turns:b:5349?transport=tcp"}});
  ServerConfig c =
      load_config({"--http-port", "9001", "--turn-rotation-interval=2s"}, env, nullptr);
  EXPECT_EQ(c.http_port, 9001);
  EXPECT_EQ(c.http_host, "0.0.0.0");
  EXPECT_EQ(c.session_cleanup_interval, Millis(10000));
  EXPECT_EQ(c.turn_rotation_interval, Millis(2000));
  EXPECT_EQ(c.retention_schedule, "*/5 * * * * *");
  EXPECT_EQ(c.turn_uris, (std::vector<std::string>{"turn:a:3478", "turns:b:5349?transport=tcp"}));
}

TEST(LoadConfig, CommandWords) {
  CommandLine cl;
  load_config({"--print-config", "--help"}, env_of({}), &cl);
  EXPECT_TRUE(cl.print_config);
  EXPECT_TRUE(cl.help);
}

TEST(LoadConfig, BadValuesNameTheSettingTheValueAndWhatIsAccepted) {
  EXPECT_EQ(error_of({}, {{"TURN_ROTATION_INTERVAL", "abc"}}),
            "TURN_ROTATION_INTERVAL=\"abc\": not a duration; accepted: a duration from 1s to 30d");
  EXPECT_THAT(error_of({"--session-cleanup-interval", "500ms"}),
              HasSubstr("--session-cleanup-interval=\"500ms\": out of range (1s to 1d)"));
  EXPECT_THAT(error_of({"--http-port=70000"}), HasSubstr("not a port; accepted: 0 to 65535"));
  EXPECT_THAT(error_of({}, {{"ADMINARA_HTTP_PORT", "80a"}}), HasSubstr("ADMINARA_HTTP_PORT"));
  EXPECT_THAT(error_of({}, {{"RETENTION_SCHEDULE", "0 25 * * *"}}),
              HasSubstr("RETENTION_SCHEDULE=\"0 25 * * *\": cron expression"));
  EXPECT_THAT(error_of({}, {{"RETENTION_SCHEDULE", "0 25 * * *"}}), HasSubstr("hour"));
  EXPECT_THAT(error_of({}, {{"TURN_URIS", "stun:x:3478"}}),
              HasSubstr("'stun:x:3478' is not a turn: or turns: URI"));
  EXPECT_THAT(error_of({}, {{"QUEUE_MAX_LENGTH", "0"}}), HasSubstr("out of range"));
  EXPECT_THAT(error_of({}, {{"ADMINARA_MAX_BODY_BYTES", "1e6"}}), HasSubstr("not a whole number"));
}

TEST(LoadConfig, UnknownFlagsAndMissingValues) {
  EXPECT_EQ(error_of({"--bogus"}), "unknown argument '--bogus'; see --help");
  EXPECT_THAT(error_of({"--http-port"}), HasSubstr("--http-port needs a value"));
}

TEST(DescribeConfig, ShowsEverySettingAndMasksSecrets) {
  const auto env = env_of(
      {{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2"}, {"OTEL_SERVICE_NAME", "adminara-eu"}});
  const std::string text = describe_config(load_config({}, env, nullptr), env);
  for (const SettingInfo& s : settings()) EXPECT_THAT(text, HasSubstr(std::string(s.env) + "="));
  EXPECT_THAT(text, HasSubstr("OTEL_EXPORTER_OTLP_HEADERS=****"));
  EXPECT_THAT(text, HasSubstr("OTEL_SERVICE_NAME=adminara-eu"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("hunter2")));
}

TEST(Usage, ListsEveryFlag) {
  const std::string text = usage();
  for (const SettingInfo& s : settings()) EXPECT_THAT(text, HasSubstr(std::string(s.flag)));
}

}  // namespace
}  // namespace adminara::server
