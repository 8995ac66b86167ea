// A program for the browser test (debug_pages_test.js): a process with the debug pages on whose
// span names, attributes, events, profiler measures, queue name and job failure reasons contain
// markup that would run script if a page inserted it as HTML. It prints the pages' port on one
// line, then keeps serving until its standard input closes.
#include <chrono>
#include <iostream>
#include <thread>

#include "adminara/obs.h"
#include "adminara/obs/jobs.h"

namespace obs = adminara::obs;
namespace jobs = adminara::obs::jobs;

int main() {
  // Each value would set window.__xss if it were parsed as HTML and its script ran.
  const std::string name = "<img src=x onerror=\"window.__xss='span name'\">";
  const std::string attribute = "<script>window.__xss='attribute'</script>";

  obs::Options options;
  options.service_name = "<b>markup</b>";
  options.debug_pages = true;
  options.prometheus_host = "127.0.0.1";
  options.prometheus_port = 0;
  options.traces_exporter = "none";
  options.span_processor = obs::ProcessorKind::kSimple;  // every span visible at once
  options.strict_config = true;
  obs::Observability& o = obs::init_observability(options);

  {
    obs::Span parent = obs::start_span(name, {{attribute, "<b>bold?</b>"}});
    obs::Scope scope = parent.activate();
    parent.add_event("<i>event</i>", {{"detail", "<svg onload=\"window.__xss='event'\">"}});
    obs::start_span("child <u>span</u>").end();
    parent.set_status(obs::StatusCode::kError, "<marquee>status</marquee>");
  }
  obs::start_span(name).end();  // also an OK one, in a latency bucket
  {
    auto m = obs::get_profiler().scope("<img src=x onerror=\"window.__xss='measure'\">");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (int i = 0; i < 20; ++i)
    obs::create_metrics(obs::get_meter()).webrtc_connection_time.record(100 + i);

  jobs::Queue queue("<b>queue</b>");
  jobs::Worker worker(queue, [](jobs::Job&) -> jobs::Json {
    throw jobs::UnrecoverableError("<script>window.__xss='failure'</script>");
  });
  queue.add("<i>job</i>");

  std::cout << o.prometheus_port() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  worker.close(std::chrono::seconds(5));
  obs::shutdown();
  return 0;
}
