#include "sdk/metrics/process_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace adminara::obs::sdk {
namespace {

// A /proc/<pid>/stat line in the kernel's layout (fields 3..52 after the command name); utime 250,
// stime 150, num_threads 7, starttime 12345, vsize 3133440, rss 407.
constexpr std::string_view kFieldsAfterComm =
    " R 20909 20909 19757 0 -1 4194304 101 0 0 0 250 150 0 0 20 0 7 0 12345 3133440 407 "
    "18446744073709551615 94172738977792 94172738997673 140725815155792 0 0 0 0 0 0 0 0 0 17 0 0 "
    "0 0 0 0 94172739013680 94172739015296 94173568524288 140725815163324 140725815163344 "
    "140725815163344 140725815164907 0\n";

std::string stat_line(std::string_view comm) {
  return "20911 (" + std::string(comm) + ")" + std::string(kFieldsAfterComm);
}

TEST(ParseProcStat, ReadsAllFields) {
  ProcessStats s;
  EXPECT_TRUE(parse_proc_stat(stat_line("cat"), 100, 4096, 1000.0, s));
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(*s.resident_memory_bytes, 407.0 * 4096);
  EXPECT_DOUBLE_EQ(*s.virtual_memory_bytes, 3133440.0);
  EXPECT_DOUBLE_EQ(*s.threads, 7.0);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 1000.0 + 123.45);
  EXPECT_FALSE(s.open_fds.has_value());
  EXPECT_FALSE(s.max_fds.has_value());
}

TEST(ParseProcStat, CommWithSpacesAndParenthesesSplitsAfterTheLastParen) {
  for (std::string_view comm : {"a) b) c", "(a) b) c)", "x y z", ")", "((", "", "a) 1 2 3 4 5"}) {
    ProcessStats s;
    EXPECT_TRUE(parse_proc_stat(stat_line(comm), 100, 4096, 1000.0, s)) << comm;
    EXPECT_DOUBLE_EQ(s.cpu_seconds.value_or(-1), 4.0) << comm;
    EXPECT_DOUBLE_EQ(s.threads.value_or(-1), 7.0) << comm;
    EXPECT_DOUBLE_EQ(s.resident_memory_bytes.value_or(-1), 407.0 * 4096) << comm;
  }
}

TEST(ParseProcStat, WithoutBootTimeLeavesStartTimeEmpty) {
  ProcessStats s;
  EXPECT_TRUE(parse_proc_stat(stat_line("cat"), 100, 4096, std::nullopt, s));
  EXPECT_FALSE(s.start_time_seconds.has_value());
  EXPECT_TRUE(s.cpu_seconds.has_value());
}

TEST(ParseProcStat, UsesTheGivenTicksAndPageSize) {
  ProcessStats s;
  EXPECT_TRUE(parse_proc_stat(stat_line("cat"), 1000, 65536, 0.0, s));
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 0.4);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 12.345);
  EXPECT_DOUBLE_EQ(*s.resident_memory_bytes, 407.0 * 65536);
}

TEST(ParseProcStat, InvalidTicksOrPageSizeOmitDependentFields) {
  ProcessStats s;
  EXPECT_FALSE(parse_proc_stat(stat_line("cat"), 0, -1, 1000.0, s));
  EXPECT_FALSE(s.cpu_seconds.has_value());
  EXPECT_FALSE(s.start_time_seconds.has_value());
  EXPECT_FALSE(s.resident_memory_bytes.has_value());
  EXPECT_TRUE(s.virtual_memory_bytes.has_value());
  EXPECT_TRUE(s.threads.has_value());
}

TEST(ParseProcStat, TruncatedLineKeepsWhatCameBeforeTheCut) {
  // Cut after starttime (token 19) and its separator: vsize and rss are missing.
  std::string line = stat_line("cat");
  const std::size_t vsize_at = line.find(" 3133440");
  ASSERT_NE(vsize_at, std::string::npos);
  const std::size_t cut = vsize_at + 1;
  ProcessStats s;
  EXPECT_FALSE(parse_proc_stat(std::string_view(line).substr(0, cut), 100, 4096, 1000.0, s));
  EXPECT_DOUBLE_EQ(*s.cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(*s.threads, 7.0);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 1123.45);
  EXPECT_FALSE(s.virtual_memory_bytes.has_value());
  EXPECT_FALSE(s.resident_memory_bytes.has_value());

  // Every prefix of the line parses without crashing, and never invents a value.
  for (std::size_t n = 0; n <= line.size(); ++n) {
    ProcessStats p;
    parse_proc_stat(std::string_view(line).substr(0, n), 100, 4096, 1000.0, p);
    EXPECT_DOUBLE_EQ(p.cpu_seconds.value_or(4.0), 4.0);
    EXPECT_DOUBLE_EQ(p.threads.value_or(7.0), 7.0);
  }
}

TEST(ParseProcStat, GarbageLeavesFieldsEmpty) {
  const std::string_view cases[] = {"",
                                    "garbage",
                                    "1 (x",
                                    "1 (x) R a b c d e f g h i j k l m n o p q r s",
                                    std::string_view("1 (x) \0\0\0", 9),
                                    "))))))))))))))))))))))))))))))"};
  for (std::string_view text : cases) {
    ProcessStats s;
    EXPECT_FALSE(parse_proc_stat(text, 100, 4096, 1000.0, s)) << text;
    EXPECT_FALSE(s.cpu_seconds.has_value()) << text;
    EXPECT_FALSE(s.resident_memory_bytes.has_value()) << text;
    EXPECT_FALSE(s.virtual_memory_bytes.has_value()) << text;
    EXPECT_FALSE(s.threads.has_value()) << text;
    EXPECT_FALSE(s.start_time_seconds.has_value()) << text;
  }
}

TEST(ParseProcStat, NonNumericOrNegativeFieldsAreOmittedIndividually) {
  std::string line = stat_line("cat");
  line.replace(line.find(" 407 "), 5, " -12 ");      // rss
  line.replace(line.find(" 250 "), 5, " 2x0 ");      // utime
  line.replace(line.find(" 3133440 "), 9, " 3e6 ");  // vsize
  ProcessStats s;
  EXPECT_FALSE(parse_proc_stat(line, 100, 4096, 1000.0, s));
  EXPECT_FALSE(s.resident_memory_bytes.has_value());
  EXPECT_FALSE(s.cpu_seconds.has_value());
  EXPECT_FALSE(s.virtual_memory_bytes.has_value());
  EXPECT_DOUBLE_EQ(*s.threads, 7.0);
  EXPECT_DOUBLE_EQ(*s.start_time_seconds, 1123.45);
}

TEST(ParseBootTime, FindsTheBtimeLine) {
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 1 2 3\nctxt 5\nbtime 1795748658\nprocesses 9\n"),
            1795748658.0);
  EXPECT_EQ(parse_boot_time("btime   17  \n"), 17.0);
}

TEST(ParseBootTime, MissingOrMalformedIsEmpty) {
  EXPECT_EQ(parse_boot_time(""), std::nullopt);
  EXPECT_EQ(parse_boot_time("cpu 1 2 3\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btime\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btime 17"), std::nullopt);  // no newline: "17" may be cut off
  EXPECT_EQ(parse_boot_time("btime \n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btime abc\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btime 12 13\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btime -5\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("xbtime 5\n"), std::nullopt);
  EXPECT_EQ(parse_boot_time("btimes 5\n"), std::nullopt);
}

constexpr std::string_view kLimits =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n"
    "Max processes             96364                96364                processes \n"
    "Max open files            1024                 1048576              files     \n"
    "Max locked memory         8388608              8388608              bytes     \n";

TEST(ParseMaxOpenFiles, ReadsTheSoftLimit) {
  EXPECT_EQ(parse_max_open_files(kLimits), 1024.0);
  EXPECT_EQ(parse_max_open_files("Max open files 20000 20000 files"), 20000.0);
}

TEST(ParseMaxOpenFiles, UnlimitedIsOmitted) {
  EXPECT_EQ(parse_max_open_files(
                "Max open files            unlimited            unlimited            files\n"),
            std::nullopt);
}

TEST(ParseMaxOpenFiles, MissingOrMalformedIsEmpty) {
  EXPECT_EQ(parse_max_open_files(""), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max processes 5 5 processes\n"), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max open files\n"), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max open files "), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max open files  -1 5 files\n"), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max open files  12k 5 files\n"), std::nullopt);
  EXPECT_EQ(parse_max_open_files("Max open filesystems 12 5 files\n"), std::nullopt);
}

// A temporary directory laid out like /proc, removed at the end of the test.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "process_stats_test.XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(root_ / "self" / "fd");
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  void write(const std::filesystem::path& relative, std::string_view text) {
    std::ofstream(root_ / relative) << text;
  }

  std::filesystem::path root_;
};

TEST_F(FakeProc, ReadsEveryFile) {
  write("stat", "cpu  1 2 3 4\nbtime 1700000000\nprocesses 3\n");
  write("self/stat", stat_line("my (odd) name"));
  write("self/limits", kLimits);
  // Names well above any descriptor this test could have open, so none is mistaken for the
  // reader's own directory descriptor.
  for (const char* name : {"100000", "100001", "100002", "100003"})
    write("self/fd/" + std::string(name), "");

  ProcessStats s = read_process_stats(root_.string());
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  EXPECT_DOUBLE_EQ(s.cpu_seconds.value_or(-1), 400 / ticks);
  EXPECT_DOUBLE_EQ(s.resident_memory_bytes.value_or(-1), 407 * page);
  EXPECT_DOUBLE_EQ(s.virtual_memory_bytes.value_or(-1), 3133440.0);
  EXPECT_DOUBLE_EQ(s.start_time_seconds.value_or(-1), 1700000000.0 + 12345 / ticks);
  EXPECT_DOUBLE_EQ(s.threads.value_or(-1), 7.0);
  EXPECT_DOUBLE_EQ(s.max_fds.value_or(-1), 1024.0);
  EXPECT_DOUBLE_EQ(s.open_fds.value_or(-1), 4.0);
}

TEST_F(FakeProc, MissingFilesAreOmitted) {
  write("self/stat", stat_line("cat"));  // no /stat: no boot time, so no start time
  std::filesystem::remove(root_ / "self" / "fd");

  ProcessStats s = read_process_stats(root_.string());
  EXPECT_TRUE(s.cpu_seconds.has_value());
  EXPECT_TRUE(s.threads.has_value());
  EXPECT_FALSE(s.start_time_seconds.has_value());
  EXPECT_FALSE(s.max_fds.has_value());
  EXPECT_FALSE(s.open_fds.has_value());
}

TEST_F(FakeProc, EmptyFdDirectoryCountsZero) {
  ProcessStats s = read_process_stats(root_.string());
  EXPECT_EQ(s.open_fds, 0.0);
  EXPECT_FALSE(s.cpu_seconds.has_value());
}

TEST(ReadProcessStats, NonexistentRootGivesNothing) {
  ProcessStats s = read_process_stats("/nonexistent/adminara/proc");
  EXPECT_FALSE(s.cpu_seconds || s.resident_memory_bytes || s.virtual_memory_bytes ||
               s.start_time_seconds || s.open_fds || s.max_fds || s.threads);
}

TEST(ReadProcessStats, LiveProcValuesArePlausible) {
  ProcessStats s = read_process_stats();
  ASSERT_TRUE(s.cpu_seconds && s.resident_memory_bytes && s.virtual_memory_bytes &&
              s.start_time_seconds && s.open_fds && s.max_fds && s.threads);
  EXPECT_GE(*s.cpu_seconds, 0.0);
  EXPECT_GT(*s.resident_memory_bytes, 0.0);
  EXPECT_GE(*s.virtual_memory_bytes, *s.resident_memory_bytes);
  EXPECT_GE(*s.open_fds, 3.0);  // stdin, stdout, stderr
  EXPECT_GE(*s.max_fds, *s.open_fds);
  EXPECT_GE(*s.threads, 1.0);

  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // btime is whole seconds and starttime whole ticks, so allow a little slack into the future.
  EXPECT_LE(*s.start_time_seconds, now + 2);
  EXPECT_GT(*s.start_time_seconds, now - 24 * 3600);
}

TEST(ReadProcessStats, OpenFdCountFollowsOpenAndClose) {
  const double before = read_process_stats().open_fds.value_or(-1);
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const double during = read_process_stats().open_fds.value_or(-1);
  ::close(fd);
  const double after = read_process_stats().open_fds.value_or(-1);
  EXPECT_EQ(during, before + 1);
  EXPECT_EQ(after, before);
}

TEST(ReadProcessStats, CpuSecondsGrowWithWork) {
  const double before = read_process_stats().cpu_seconds.value_or(-1);
  // Burn 50 ms of this process's CPU time (not wall time: the machine may be busy).
  auto cpu_now = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  const double until = cpu_now() + 0.05;
  volatile unsigned sink = 0;
  while (cpu_now() < until) sink = sink + 1;
  const double after = read_process_stats().cpu_seconds.value_or(-1);
  EXPECT_GE(before, 0.0);
  EXPECT_GT(after, before);
}

}  // namespace
}  // namespace adminara::obs::sdk
