// adminara-server configuration: every setting from a flag or its environment variable, validated
// strictly. A bad value is a ConfigError naming the setting, the value and what is accepted, so
// the server stops at start-up instead of running with a surprise.
//
// Thread-safety: ServerConfig is a plain value; the functions are pure (the environment is read
// through the getter passed in).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace adminara::server {

/// A setting had a bad value, an unknown flag was given or a flag lacked its value.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Millis = std::chrono::milliseconds;

/// The effective configuration of the server (defaults are the embedded ones).
struct ServerConfig {
  std::string http_host = "127.0.0.1";
  int http_port = 8080;  // 0: a free port (printed at start)
  std::size_t max_body_bytes = 64 * 1024;
  Millis shutdown_timeout{10000};

  // Maintenance schedules (jobs on the `maintenance` queue).
  Millis turn_rotation_interval{24LL * 3600 * 1000};
  Millis session_cleanup_interval{5LL * 60 * 1000};
  std::string retention_schedule = "0 3 * * *";  // cron, UTC

  // TURN REST API credentials (coturn use-auth-secret).
  std::vector<std::string> turn_uris = {"turn:localhost:3478?transport=udp",
                                        "turn:localhost:3478?transport=tcp"};
  Millis turn_credential_ttl{24LL * 3600 * 1000};
  std::string turn_secrets_file;  // empty: the secrets stay in memory only

  // Shared state: jobs and the store on Redis; empty: in memory (one instance).
  std::string redis_url;
  // The exporter-toolkit web configuration of the metrics + debug endpoint (TLS, basic auth);
  // empty: plain HTTP. Validated when read.
  std::string web_config_file;

  // Queue and call limits, enforced by session_cleanup; retention of finished tickets.
  std::size_t queue_max_length = 10000;
  Millis queue_max_wait{30LL * 60 * 1000};
  Millis call_connect_timeout{2LL * 60 * 1000};
  Millis call_max_duration{4LL * 3600 * 1000};
  Millis retention_period{7LL * 24 * 3600 * 1000};
};

/// One setting: its flag (`--http-port`), environment variable and a line of help.
struct SettingInfo {
  std::string_view flag;
  std::string_view env;
  std::string_view accepted;
  std::string_view help;
};

/// Every setting the server reads, in the order --help and --print-config show them.
const std::vector<SettingInfo>& settings();

/// What the command line asked for besides settings.
struct CommandLine {
  bool print_config = false;
  bool help = false;
};

/// Reads a variable; nullopt when unset.
using EnvGetter = std::function<std::optional<std::string>(std::string_view)>;

/// Builds the configuration: defaults, then the environment, then flags (`--name value` or
/// `--name=value`). Throws ConfigError on an unknown flag, a flag without a value or a bad value.
ServerConfig load_config(const std::vector<std::string>& args, const EnvGetter& getenv,
                         CommandLine* command_line);

/// Parses a duration written as a whole number and a unit: ms, s, m, h or d (`500ms`, `30s`,
/// `5m`, `24h`, `7d`). nullopt when malformed or out of range for 64-bit milliseconds.
std::optional<Millis> parse_duration(std::string_view text);

/// The shortest exact spelling of `d` in the units parse_duration accepts (`90000` ms -> `90s`).
std::string format_duration(Millis d);

/// `--print-config` output: one `NAME=value` line per setting (flag and variable named), plus
/// the observability variables that are set in the environment, with secret-bearing values
/// (headers, tokens, passwords) masked.
std::string describe_config(const ServerConfig& config, const EnvGetter& getenv);

/// `--help` text.
std::string usage();

}  // namespace adminara::server
