// A test OTLP/HTTP receiver: a cpp-httplib server on a free 127.0.0.1 port that accepts
// POST /<any path>, decodes protobuf bodies with the protoc-generated classes of the project's
// .proto files, and JSON bodies by the OTLP/JSON rules (hex ids turned back into bytes, then
// protobuf's JSON parser, which accepts integer enums and 64-bit integers as strings), so both
// encodings are checked by the same assertions. Answers follow a script (status, Retry-After,
// body, or hang until released); with the script empty it answers 200 with an empty body.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "export/otlp/proto/collector.pb.h"

namespace httplib {
class Server;
}

namespace adminara::obs::testing {

struct ReceivedRequest {
  std::string path;
  std::string content_type;
  std::string content_encoding;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // decompressed
  std::chrono::steady_clock::time_point at;
  // Decoded, when the path ends in v1/traces or v1/metrics (or the decode flag says so).
  std::optional<adminara::otlp::ExportTraceServiceRequest> traces;
  std::optional<adminara::otlp::ExportMetricsServiceRequest> metrics;
  std::string decode_error;  // non-empty when the body did not decode
};

struct ScriptedAnswer {
  int status = 200;
  std::string retry_after;  // sent as Retry-After when non-empty
  std::string body;
  std::string content_type;  // default: the request's
  bool hang = false;         // wait until release_hangs() (or stop) before answering
};

class OtlpReceiver {
 public:
  OtlpReceiver();  // starts listening on 127.0.0.1:<free port>
  ~OtlpReceiver();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Answers for the next requests, in order.
  void script(std::vector<ScriptedAnswer> answers);
  /// Answer every later request with this (after the script runs out).
  void set_default(ScriptedAnswer answer);
  void release_hangs();

  std::vector<ReceivedRequest> requests() const;
  std::size_t request_count() const;
  /// Requests currently waiting in a hang.
  std::size_t hanging() const;
  /// Waits until at least `n` requests arrived (false after `timeout`).
  bool wait_for_requests(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Total spans / metric data points received in decoded requests.
  std::size_t span_count() const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ScriptedAnswer> script_;
  ScriptedAnswer default_;
  bool released_ = false;
  bool stopping_ = false;
  std::size_t hanging_ = 0;
  std::vector<ReceivedRequest> requests_;
};

/// Decodes an OTLP/JSON body into `msg` (ids from hex); false with `error` set on failure.
bool decode_otlp_json(const std::string& json, google::protobuf::Message& msg, std::string* error);

}  // namespace adminara::obs::testing
