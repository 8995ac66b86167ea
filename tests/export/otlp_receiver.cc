#include "tests/export/otlp_receiver.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

namespace adminara::obs::testing {
namespace {

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool hex_to_bytes(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// OTLP/JSON -> canonical proto3 JSON: trace and span ids from hex to base64.
bool ids_to_base64(nlohmann::json& j, std::string* error) {
  if (j.is_array()) {
    for (auto& e : j) {
      if (!ids_to_base64(e, error)) return false;
    }
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if ((k == "traceId" || k == "spanId" || k == "parentSpanId") && it->is_string()) {
        std::string bytes;
        if (!hex_to_bytes(it->get<std::string>(), bytes)) {
          *error = k + " is not hex: " + it->get<std::string>();
          return false;
        }
        *it = base64(bytes);
      } else if (!ids_to_base64(*it, error)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool decode_otlp_json(const std::string& json, google::protobuf::Message& msg, std::string* error) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) {
    *error = "not JSON";
    return false;
  }
  if (!ids_to_base64(j, error)) return false;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // receivers MUST ignore unknown fields
  const auto status = google::protobuf::util::JsonStringToMessage(j.dump(), &msg, options);
  if (!status.ok()) {
    *error = std::string(status.message());
    return false;
  }
  return true;
}

OtlpReceiver::OtlpReceiver() : server_(std::make_unique<httplib::Server>()) {
  server_->Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    ReceivedRequest r;
    r.path = req.path;
    r.content_type = req.get_header_value("Content-Type");
    r.content_encoding = req.get_header_value("Content-Encoding");
    for (const auto& [k, v] : req.headers) {
      std::string lower = k;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[lower] = v;
    }
    r.body = req.body;
    r.at = std::chrono::steady_clock::now();
    const bool json = r.content_type == "application/json";
    auto decode = [&](google::protobuf::Message& m) {
      if (json) return decode_otlp_json(r.body, m, &r.decode_error);
      if (!m.ParseFromString(r.body)) {
        r.decode_error = "protobuf parse failed";
        return false;
      }
      return true;
    };
    if (r.path.ends_with("v1/metrics")) {
      adminara::otlp::ExportMetricsServiceRequest m;
      if (decode(m)) r.metrics = std::move(m);
    } else {
      adminara::otlp::ExportTraceServiceRequest t;
      if (decode(t)) r.traces = std::move(t);
    }
    ScriptedAnswer answer;
    {
      std::unique_lock lock(mu_);
      requests_.push_back(std::move(r));
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      } else {
        answer = default_;
      }
      cv_.notify_all();
      if (answer.hang) {
        ++hanging_;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_ || stopping_; });
        --hanging_;
      }
    }
    res.status = answer.status;
    if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
    res.set_content(answer.body, answer.content_type.empty()
                                     ? (json ? "application/json" : "application/x-protobuf")
                                     : answer.content_type);
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

OtlpReceiver::~OtlpReceiver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void OtlpReceiver::script(std::vector<ScriptedAnswer> answers) {
  std::lock_guard lock(mu_);
  for (auto& a : answers) script_.push_back(std::move(a));
}

void OtlpReceiver::set_default(ScriptedAnswer answer) {
  std::lock_guard lock(mu_);
  default_ = std::move(answer);
}

void OtlpReceiver::release_hangs() {
  std::lock_guard lock(mu_);
  released_ = true;
  cv_.notify_all();
}

std::vector<ReceivedRequest> OtlpReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::size_t OtlpReceiver::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

std::size_t OtlpReceiver::hanging() const {
  std::lock_guard lock(mu_);
  return hanging_;
}

bool OtlpReceiver::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

std::size_t OtlpReceiver::span_count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& r : requests_) {
    if (!r.traces) continue;
    for (const auto& rs : r.traces->resource_spans()) {
      for (const auto& ss : rs.scope_spans()) n += static_cast<std::size_t>(ss.spans_size());
    }
  }
  return n;
}

}  // namespace adminara::obs::testing
