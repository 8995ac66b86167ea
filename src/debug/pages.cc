#include "debug/pages.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>

#include "common/json_writer.h"
#include "common/thread_name.h"
#include "debug/assets.h"
#include "debug/html.h"
#include "debug/job_registry.h"
#include "export/prometheus/server.h"

namespace adminara::obs::debug {
namespace {

// Measures listed on the profiler page: the newest bottlenecks and the newest measures.
constexpr std::size_t kMaxBottlenecks = 200;
constexpr std::size_t kRecentMeasures = 300;

const std::vector<std::pair<std::string, std::string>> kCommonHeaders = {
    {"Cache-Control", "no-store"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
};

PageResponse text_response(int status, std::string content_type, std::string body) {
  PageResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers = kCommonHeaders;
  return r;
}

PageResponse json_response(std::string body) {
  return text_response(200, "application/json; charset=utf-8", std::move(body));
}

PageResponse json_error(int status, std::string_view message) {
  std::string body;
  common::JsonWriter(body).begin_object().key("error").string(message).end_object();
  return text_response(status, "application/json; charset=utf-8", std::move(body));
}

PageResponse html_response(std::string body) {
  PageResponse r = text_response(200, "text/html; charset=utf-8", std::move(body));
  // Only the embedded script and style run: markup that slipped into a value could not execute.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                         "form-action 'none'; frame-ancestors 'none'");
  return r;
}

const std::string* param(const std::multimap<std::string, std::string>& params,
                         std::string_view name) {
  auto it = params.find(std::string(name));
  return it != params.end() ? &it->second : nullptr;
}

// The latency bucket index ("0".."8") or "error".
std::optional<std::size_t> parse_bucket(std::string_view v) {
  if (v == "error") return kErrorSamples;
  if (v.size() == 1 && v[0] >= '0' && v[0] < static_cast<char>('0' + kLatencyBuckets)) {
    return static_cast<std::size_t>(v[0] - '0');
  }
  return std::nullopt;
}

void write_measure(common::JsonWriter& w, const Measure& m) {
  w.begin_object();
  w.key("name").string(m.name);
  w.key("duration_ms").number(m.duration_ms);
  w.key("start_us").number(static_cast<double>(m.start_time_unix_nano) / 1000.0);
  w.key("time_us").number(static_cast<double>(m.timestamp_unix_nano) / 1000.0);
  w.key("thread_id").number(m.thread_id);
  w.end_object();
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DebugPages::DebugPages(DebugPagesOptions options, MeterProvider& meters,
                       const TracerProvider& tracer, const PerformanceProfiler& profiler,
                       std::shared_ptr<TraceZ> tracez)
    : options_(std::move(options)),
      meters_(meters),
      tracer_(tracer),
      profiler_(profiler),
      tracez_(tracez ? std::move(tracez) : std::make_shared<TraceZ>()),
      history_(options_.history) {
  sampler_ = std::thread([this] {
    common::set_thread_name("obs-debug");
    run_sampler();
  });
}

DebugPages::~DebugPages() {
  stop();
}

void DebugPages::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
}

void DebugPages::run_sampler() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    sample_now();
    lock.lock();
    cv_.wait_for(lock, options_.sample_interval, [this] { return stop_; });
  }
}

void DebugPages::sample_now() {
  try {
    history_.add(meters_.collect(), now_unix_ms());
  } catch (...) {
    // A failed collection (out of memory) leaves a gap in the charts; the next one may work.
  }
}

const std::vector<std::string_view>& DebugPages::paths() {
  static const std::vector<std::string_view> kPaths = {
      "/debug",
      "/debug/",
      "/debug/tracez",
      "/debug/metricz",
      "/debug/profilez",
      "/debug/jobz",
      "/debug/assets/app.js",
      "/debug/assets/style.css",
      "/debug/api",
      "/debug/api/",
      "/debug/api/tracez",
      "/debug/api/tracez/samples",
      "/debug/api/tracez/trace",
      "/debug/api/metricz",
      "/debug/api/profilez",
      "/debug/api/profilez/chrome-trace",
      "/debug/api/jobz",
  };
  return kPaths;
}

void DebugPages::install(prometheus::MetricsServer& server) {
  for (std::string_view path : paths()) {
    // On the server's handler pool: a page may take locks and render for a while, and must not
    // hold up the I/O thread that answers scrapes.
    server.add_get_handler(
        std::string(path),
        [this](const net::Request& req, net::Response& res) {
          const std::size_t query_bytes = req.query.size();
          PageResponse r =
              handle(req.path,
                     query_bytes > kMaxQueryBytes ? std::multimap<std::string, std::string>()
                                                  : net::parse_query(req.query),
                     query_bytes);
          res.status = r.status;
          for (auto& [k, v] : r.headers) res.headers.set(k, v);
          res.content_type = std::move(r.content_type);
          res.body = std::move(r.body);
        },
        /*blocking=*/true);
  }
}

PageResponse DebugPages::handle(std::string_view path,
                                const std::multimap<std::string, std::string>& params,
                                std::size_t query_bytes) const {
  if (query_bytes > kMaxQueryBytes) {
    return json_error(400, "query string of " + std::to_string(query_bytes) +
                               " bytes; accepted: at most " + std::to_string(kMaxQueryBytes));
  }
  try {
    return route(path, params);
  } catch (const std::exception& e) {
    return json_error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return json_error(500, "internal error");
  }
}

PageResponse DebugPages::route(std::string_view path,
                               const std::multimap<std::string, std::string>& params) const {
  if (path == "/debug" || path == "/debug/") {
    return html_response(render_page("index", options_.service_name));
  }
  for (const PageInfo& p : kPages) {
    if (path.size() == 7 + p.id.size() && path.starts_with("/debug/") && path.ends_with(p.id)) {
      return html_response(render_page(p.id, options_.service_name));
    }
  }
  if (path == "/debug/assets/app.js") {
    return text_response(200, "text/javascript; charset=utf-8", std::string(kAppJs));
  }
  if (path == "/debug/assets/style.css") {
    return text_response(200, "text/css; charset=utf-8", std::string(kStyleCss));
  }
  if (path == "/debug/api" || path == "/debug/api/") {
    std::string body;
    common::JsonWriter w(body);
    w.begin_object().key("endpoints").begin_array();
    for (std::string_view p : paths()) {
      if (p.starts_with("/debug/api/") && p.size() > 11) w.string(p);
    }
    w.end_array().key("docs").string("docs/debug-pages.md").end_object();
    return json_response(std::move(body));
  }
  if (path == "/debug/api/tracez") {
    return json_response(tracez_->summary_json(tracer_.running_spans()));
  }
  if (path == "/debug/api/tracez/samples") {
    const std::string* name = param(params, "name");
    const std::string* bucket = param(params, "bucket");
    if (name == nullptr || name->empty() || name->size() > kMaxNameBytes) {
      return json_error(400, "parameter name: accepted: a span name of 1 to " +
                                 std::to_string(kMaxNameBytes) + " bytes");
    }
    const auto b = bucket != nullptr ? parse_bucket(*bucket) : std::nullopt;
    if (!b) {
      return json_error(400, "parameter bucket: accepted: a latency bucket 0 to " +
                                 std::to_string(kLatencyBuckets - 1) + ", or error");
    }
    return json_response(tracez_->samples_json(*name, *b));
  }
  if (path == "/debug/api/tracez/trace") {
    const std::string* id = param(params, "trace_id");
    const auto trace_id = id != nullptr ? TraceId::from_hex(*id) : std::nullopt;
    if (!trace_id) {
      return json_error(400, "parameter trace_id: accepted: 32 lowercase hex digits");
    }
    return json_response(tracez_->trace_json(*trace_id));
  }
  if (path == "/debug/api/metricz") {
    return json_response(history_.json(options_.sample_interval.count()));
  }
  if (path == "/debug/api/profilez") {
    double threshold = 100;
    if (const std::string* t = param(params, "threshold_ms")) {
      double v = 0;
      auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
      if (ec != std::errc() || end != t->data() + t->size() || !std::isfinite(v) || v < 0 ||
          v > 1e9) {
        return json_error(400, "parameter threshold_ms: accepted: a number from 0 to 1e9");
      }
      threshold = v;
    }
    const std::vector<Measure> measures = profiler_.measures();
    std::string body;
    common::JsonWriter w(body);
    w.begin_object();
    w.key("enabled").boolean(profiler_.enabled());
    w.key("threshold_ms").number(threshold);
    w.key("kept").number(std::uint64_t{measures.size()});
    w.key("evicted").number(profiler_.evicted());
    w.key("marks").number(std::uint64_t{profiler_.mark_count()});
    std::size_t bottlenecks = 0;
    w.key("bottlenecks").begin_array();
    for (auto it = measures.rbegin(); it != measures.rend(); ++it) {
      if (it->duration_ms <= threshold) continue;
      if (++bottlenecks <= kMaxBottlenecks) write_measure(w, *it);
    }
    w.end_array();
    w.key("bottleneck_count").number(std::uint64_t{bottlenecks});
    w.key("recent").begin_array();
    const std::size_t first =
        measures.size() > kRecentMeasures ? measures.size() - kRecentMeasures : 0;
    for (std::size_t i = first; i < measures.size(); ++i) write_measure(w, measures[i]);
    w.end_array();
    w.end_object();
    return json_response(std::move(body));
  }
  if (path == "/debug/api/profilez/chrome-trace") {
    PageResponse r = json_response(profiler_.to_chrome_trace_json());
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"adminara-profile.json\"");
    return r;
  }
  if (path == "/debug/api/jobz") return json_response(job_registry().json());
  return text_response(404, "text/plain; charset=utf-8", "404 page not found\n");
}

}  // namespace adminara::obs::debug
