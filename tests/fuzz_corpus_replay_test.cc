// Runs every file of fuzz/corpus/<name>/ through check_<name>() (fuzz/checks.h), the function the
// libFuzzer target of that name calls. A failing check aborts, failing this test; the file being
// replayed is printed first so the log names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "checks.h"

namespace adminara::obs::fuzzing {
namespace {

namespace fs = std::filesystem;
using Check = int (*)(const std::uint8_t*, std::size_t);

void replay(const char* name, Check check) {
  const fs::path dir = fs::path(ADMINARA_OBS_FUZZ_CORPUS_DIR) / name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no corpus files in " << dir;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << file;
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::printf("replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    std::fflush(stdout);
    EXPECT_EQ(check(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0) << file;
  }
}

TEST(FuzzCorpusReplay, Traceparent) {
  replay("traceparent", check_traceparent);
}
TEST(FuzzCorpusReplay, Tracestate) {
  replay("tracestate", check_tracestate);
}
TEST(FuzzCorpusReplay, Baggage) {
  replay("baggage", check_baggage);
}
TEST(FuzzCorpusReplay, Accept) {
  replay("accept", check_accept);
}
TEST(FuzzCorpusReplay, Cron) {
  replay("cron", check_cron);
}
TEST(FuzzCorpusReplay, OtlpHeaders) {
  replay("otlp_headers", check_otlp_headers);
}
TEST(FuzzCorpusReplay, WebConfig) {
  replay("web_config", check_web_config);
}
TEST(FuzzCorpusReplay, BasicAuthorization) {
  replay("basic_authorization", check_basic_authorization);
}

// The checks must also hold for inputs no corpus happens to contain.
TEST(FuzzCorpusReplay, EmptyInput) {
  EXPECT_EQ(check_traceparent(nullptr, 0), 0);
  EXPECT_EQ(check_tracestate(nullptr, 0), 0);
  EXPECT_EQ(check_baggage(nullptr, 0), 0);
  EXPECT_EQ(check_accept(nullptr, 0), 0);
  EXPECT_EQ(check_cron(nullptr, 0), 0);
  EXPECT_EQ(check_otlp_headers(nullptr, 0), 0);
  EXPECT_EQ(check_web_config(nullptr, 0), 0);
  EXPECT_EQ(check_basic_authorization(nullptr, 0), 0);
}

}  // namespace
}  // namespace adminara::obs::fuzzing
