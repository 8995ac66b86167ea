#include "config.h"

#include <array>
#include <charconv>
#include <limits>
#include <sstream>

#include "adminara/obs/jobs.h"
#include "adminara/obs/options.h"
#include "adminara/obs/redis.h"
#include "adminara/obs/web_config.h"

namespace adminara::server {
namespace {

struct Setting {
  SettingInfo info;
  // Parses `value` into `config`; returns an empty string, or what was wrong with the value.
  std::function<std::string(ServerConfig&, std::string_view)> apply;
  std::function<std::string(const ServerConfig&)> show;
};

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Setting duration_setting(SettingInfo info, Millis ServerConfig::*field, Millis min, Millis max) {
  return Setting{info,
                 [field, min, max](ServerConfig& c, std::string_view v) -> std::string {
                   auto d = parse_duration(v);
                   if (!d) return "not a duration";
                   if (*d < min || *d > max) {
                     return "out of range (" + format_duration(min) + " to " +
                            format_duration(max) + ")";
                   }
                   c.*field = *d;
                   return {};
                 },
                 [field](const ServerConfig& c) { return format_duration(c.*field); }};
}

Setting size_setting(SettingInfo info, std::size_t ServerConfig::*field, long long min,
                     long long max) {
  return Setting{info,
                 [field, min, max](ServerConfig& c, std::string_view v) -> std::string {
                   auto n = parse_int(v);
                   if (!n) return "not a whole number";
                   if (*n < min || *n > max) return "out of range";
                   c.*field = static_cast<std::size_t>(*n);
                   return {};
                 },
                 [field](const ServerConfig& c) { return std::to_string(c.*field); }};
}

const std::vector<Setting>& setting_table() {
  static const std::vector<Setting> table = {
      {{"--http-host", "ADMINARA_HTTP_HOST", "an IP address or host name",
        "address the HTTP API listens on"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         if (v.empty() || v.find_first_of(" /\t") != std::string_view::npos) {
           return "not a host";
         }
         c.http_host = std::string(v);
         return {};
       },
       [](const ServerConfig& c) { return c.http_host; }},
      {{"--http-port", "ADMINARA_HTTP_PORT", "0 to 65535 (0: a free port)", "port of the HTTP API"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         auto n = parse_int(v);
         if (!n || *n < 0 || *n > 65535) return "not a port";
         c.http_port = static_cast<int>(*n);
         return {};
       },
       [](const ServerConfig& c) { return std::to_string(c.http_port); }},
      size_setting({"--max-body-bytes", "ADMINARA_MAX_BODY_BYTES", "1024 to 16777216",
                    "largest request body accepted (larger: 413)"},
                   &ServerConfig::max_body_bytes, 1024, 16 * 1024 * 1024),
      duration_setting(
          {"--shutdown-timeout", "ADMINARA_SHUTDOWN_TIMEOUT", "a duration from 100ms to 5m",
           "on SIGTERM/SIGINT, how long running jobs may take to finish"},
          &ServerConfig::shutdown_timeout, Millis(100), Millis(5 * 60 * 1000)),
      duration_setting({"--turn-rotation-interval", "TURN_ROTATION_INTERVAL",
                        "a duration from 1s to 30d", "how often the TURN secret is replaced"},
                       &ServerConfig::turn_rotation_interval, Millis(1000),
                       Millis(30LL * 24 * 3600 * 1000)),
      duration_setting(
          {"--session-cleanup-interval", "SESSION_CLEANUP_INTERVAL", "a duration from 1s to 1d",
           "how often tickets and calls past their limits are expired"},
          &ServerConfig::session_cleanup_interval, Millis(1000), Millis(24LL * 3600 * 1000)),
      {{"--retention-schedule", "RETENTION_SCHEDULE",
        "a cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first; UTC",
        "when finished tickets older than the retention period are deleted"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         try {
           obs::jobs::validate_cron(v);
         } catch (const obs::jobs::ScheduleError& e) {
           return e.what();
         }
         c.retention_schedule = trim(v);
         return {};
       },
       [](const ServerConfig& c) { return c.retention_schedule; }},
      duration_setting({"--retention-period", "RETENTION_PERIOD", "a duration from 1s to 365d",
                        "how long finished tickets are kept"},
                       &ServerConfig::retention_period, Millis(1000),
                       Millis(365LL * 24 * 3600 * 1000)),
      {{"--turn-uris", "TURN_URIS", "a comma-separated list of turn: or turns: URIs",
        "the uris returned with TURN credentials"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         std::vector<std::string> uris;
         std::size_t start = 0;
         while (start <= v.size()) {
           std::size_t comma = v.find(',', start);
           if (comma == std::string_view::npos) comma = v.size();
           std::string uri = trim(v.substr(start, comma - start));
           if (uri.rfind("turn:", 0) != 0 && uri.rfind("turns:", 0) != 0) {
             return "'" + uri + "' is not a turn: or turns: URI";
           }
           uris.push_back(std::move(uri));
           start = comma + 1;
         }
         c.turn_uris = std::move(uris);
         return {};
       },
       [](const ServerConfig& c) {
         std::string out;
         for (const auto& u : c.turn_uris) out += (out.empty() ? "" : ",") + u;
         return out;
       }},
      duration_setting({"--turn-credential-ttl", "TURN_CREDENTIAL_TTL", "a duration from 1m to 7d",
                        "lifetime of issued TURN credentials; the previous secret stays valid "
                        "this long after a rotation"},
                       &ServerConfig::turn_credential_ttl, Millis(60 * 1000),
                       Millis(7LL * 24 * 3600 * 1000)),
      {{"--turn-secrets-file", "TURN_SECRETS_FILE", "a file path (written with mode 0600)",
        "where the current and previous TURN secrets are written after each rotation, for the "
        "TURN server's secret store; empty: memory only"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         c.turn_secrets_file = std::string(v);
         return {};
       },
       [](const ServerConfig& c) { return c.turn_secrets_file; }},
      {{"--redis-url", "REDIS_URL", "empty, or redis://[user:password@]host[:port][/db]",
        "Redis shared by every instance: the maintenance jobs (BullMQ's layout, prefix bull) and "
        "the queue, calls and TURN secrets (prefix adminara); empty: both in this process' "
        "memory"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         if (!v.empty()) {
           try {
             obs::jobs::check_redis_url(v);
           } catch (const obs::jobs::RedisError& e) {
             return e.what();
           }
         }
         c.redis_url = std::string(v);
         return {};
       },
       [](const ServerConfig& c) { return obs::jobs::masked_redis_url(c.redis_url); }},
      {{"--web.config.file", "ADMINARA_WEB_CONFIG_FILE",
        "empty, or the path of a Prometheus exporter-toolkit web configuration (YAML)",
        "TLS, basic auth and response headers for the metrics and debug endpoint "
        "(docs/operations.md), as node_exporter's --web.config.file; empty: plain HTTP, no auth"},
       [](ServerConfig& c, std::string_view v) -> std::string {
         if (!v.empty()) {
           try {
             (void)obs::net::load_web_config(std::string(v));
           } catch (const obs::ConfigError& e) {
             return e.what();
           }
         }
         c.web_config_file = std::string(v);
         return {};
       },
       [](const ServerConfig& c) { return c.web_config_file; }},
      size_setting({"--queue-max-length", "QUEUE_MAX_LENGTH", "1 to 1000000",
                    "customers that may wait at once (more: 503)"},
                   &ServerConfig::queue_max_length, 1, 1000000),
      duration_setting({"--queue-max-wait", "QUEUE_MAX_WAIT", "a duration from 1s to 1d",
                        "a waiting ticket older than this is expired by session_cleanup"},
                       &ServerConfig::queue_max_wait, Millis(1000), Millis(24LL * 3600 * 1000)),
      duration_setting(
          {"--call-connect-timeout", "CALL_CONNECT_TIMEOUT", "a duration from 1s to 1h",
           "an assigned call not connected within this is expired"},
          &ServerConfig::call_connect_timeout, Millis(1000), Millis(3600 * 1000)),
      duration_setting({"--call-max-duration", "CALL_MAX_DURATION", "a duration from 1s to 1d",
                        "a connected call longer than this is ended by session_cleanup"},
                       &ServerConfig::call_max_duration, Millis(1000), Millis(24LL * 3600 * 1000)),
  };
  return table;
}

bool is_secret_variable(std::string_view name) {
  for (std::string_view word : {"HEADERS", "TOKEN", "PASSWORD", "SECRET", "KEY"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

const std::vector<SettingInfo>& settings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const auto& s : setting_table()) out.push_back(s.info);
    return out;
  }();
  return infos;
}

std::optional<Millis> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  long long n = 0;
  std::from_chars(text.data(), text.data() + digits, n);
  std::string_view unit = text.substr(digits);
  long long scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60 * 1000;
  } else if (unit == "h") {
    scale = 3600 * 1000;
  } else if (unit == "d") {
    scale = 24LL * 3600 * 1000;
  } else {
    return std::nullopt;
  }
  if (n > std::numeric_limits<long long>::max() / scale) return std::nullopt;
  return Millis(n * scale);
}

std::string format_duration(Millis d) {
  long long ms = d.count();
  static constexpr std::array<std::pair<long long, const char*>, 4> kUnits = {
      {{24LL * 3600 * 1000, "d"}, {3600 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}}};
  for (const auto& [scale, word] : kUnits) {
    if (ms != 0 && ms % scale == 0) return std::to_string(ms / scale) + word;
  }
  return std::to_string(ms) + "ms";
}

ServerConfig load_config(const std::vector<std::string>& args, const EnvGetter& getenv,
                         CommandLine* command_line) {
  ServerConfig config;
  const auto& table = setting_table();
  auto apply = [&config](const Setting& s, std::string_view source, std::string_view value) {
    std::string problem = s.apply(config, value);
    if (!problem.empty()) {
      // Some checks (cron) already name what they accept.
      const bool says_accepted = problem.find("accepted:") != std::string::npos;
      throw ConfigError(std::string(source) + "=\"" + std::string(value) + "\": " + problem +
                        (says_accepted ? "" : "; accepted: " + std::string(s.info.accepted)));
    }
  };
  for (const auto& s : table) {
    if (auto v = getenv(s.info.env)) apply(s, s.info.env, *v);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--print-config") {
      if (command_line) command_line->print_config = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      if (command_line) command_line->help = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Setting* setting = nullptr;
    for (const auto& s : table) {
      if (s.info.flag == name) setting = &s;
    }
    if (setting == nullptr) {
      throw ConfigError("unknown argument '" + std::string(arg) + "'; see --help");
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        throw ConfigError(std::string(name) +
                          " needs a value: " + std::string(setting->info.accepted));
      }
      value = args[++i];
    }
    apply(*setting, name, *value);
  }
  return config;
}

std::string describe_config(const ServerConfig& config, const EnvGetter& getenv) {
  std::ostringstream out;
  out << "# adminara-server settings (flag / variable = effective value)\n";
  for (const auto& s : setting_table()) {
    out << s.info.env << "=" << s.show(config) << "    # " << s.info.flag << "\n";
  }
  out << "# observability variables set in the environment (secrets masked)\n";
  static constexpr std::array<std::string_view, 24> kObservability = {
      "ADMINARA_ENV",
      "NODE_ENV",
      "ENABLE_TRACING",
      "ENABLE_METRICS",
      "ENABLE_PROFILING",
      "OTEL_SDK_DISABLED",
      "OTEL_SERVICE_NAME",
      "OTEL_RESOURCE_ATTRIBUTES",
      "OTEL_TRACES_EXPORTER",
      "OTEL_TRACES_SAMPLER",
      "OTEL_TRACES_SAMPLER_ARG",
      "OTEL_METRICS_EXPORTER",
      "OTEL_EXPORTER_PROMETHEUS_HOST",
      "OTEL_EXPORTER_PROMETHEUS_PORT",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
      "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
      "OTEL_BSP_MAX_QUEUE_SIZE",
      "OTEL_BSP_SCHEDULE_DELAY",
      "ADMINARA_PROMETHEUS_UNIT_SUFFIXES",
      "ADMINARA_METRICS_CARDINALITY_LIMIT",
      "OTEL_METRICS_EXEMPLAR_FILTER",
  };
  bool any = false;
  for (std::string_view name : kObservability) {
    if (auto v = getenv(name)) {
      out << name << "=" << (is_secret_variable(name) ? "****" : *v) << "\n";
      any = true;
    }
  }
  if (!any) out << "# (none: the library's defaults apply)\n";
  return out.str();
}

std::string usage() {
  std::ostringstream out;
  out << "usage: adminara-server [--print-config] [--help] [--flag value | --flag=value]...\n"
         "\nThe AdminAra reference service: customer queue, calls, TURN credentials and\n"
         "maintenance jobs, traced and measured (metrics on :9464/metrics).\n"
         "Every flag has an environment variable; a flag wins over its variable.\n\n";
  for (const auto& s : setting_table()) {
    out << "  " << s.info.flag << " (" << s.info.env << ", default " << s.show(ServerConfig{})
        << ")\n      " << s.info.help << "; accepted: " << s.info.accepted << "\n";
  }
  out << "\nObservability is configured by OTEL_* and the library's variables "
         "(docs/configuration.md).\n";
  return out.str();
}

}  // namespace adminara::server
