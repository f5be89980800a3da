// Entry point of every test executable that links SystemC (model tests, config tests).
//
// The SystemC kernel cannot be reset, so every test needs a fresh process. ctest provides one
// (gtest_discover_tests runs each test with its own --gtest_filter); when the binary is run by
// hand and the filter selects several tests, this main forks one child per test, runs it there,
// and prints a summary. Flags that write per-run files (--gtest_output) are not merged across
// children: use ctest for reports.
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns)
    if (!p.empty() && fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

/// gtest's filter syntax: POSITIVE[-NEGATIVE], each a ':'-separated list of '*'/'?' globs.
bool filter_selects(const std::string& filter, const std::string& name) {
  const size_t dash = filter.find('-');
  std::string pos = filter.substr(0, dash);
  if (pos.empty()) pos = "*";
  const std::string neg = dash == std::string::npos ? std::string() : filter.substr(dash + 1);
  return matches_any(split(pos, ':'), name) && !matches_any(split(neg, ':'), name);
}

std::vector<std::string> selected_tests() {
  const std::string filter = GTEST_FLAG_GET(filter);
  const bool disabled_too = GTEST_FLAG_GET(also_run_disabled_tests);
  std::vector<std::string> names;
  const testing::UnitTest& ut = *testing::UnitTest::GetInstance();
  for (int i = 0; i < ut.total_test_suite_count(); ++i) {
    const testing::TestSuite& suite = *ut.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      const testing::TestInfo& t = *suite.GetTestInfo(j);
      const std::string name = std::string(t.test_suite_name()) + "." + t.name();
      const bool disabled = std::string_view(t.test_suite_name()).starts_with("DISABLED_") ||
                            std::string_view(t.name()).starts_with("DISABLED_");
      if ((disabled_too || !disabled) && filter_selects(filter, name)) names.push_back(name);
    }
  }
  return names;
}

}  // namespace

int sc_main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // Every test ends its simulation with sc_stop(); the kernel's note about it is noise.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  const auto tests = selected_tests();
  if (GTEST_FLAG_GET(list_tests) || tests.size() <= 1) return RUN_ALL_TESTS();

  // No SystemC object exists yet (tests build their modules), so forking here is safe.
  std::vector<std::string> failed;
  for (const auto& name : tests) {
    std::cout.flush();
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 1;
    }
    if (pid == 0) {
      GTEST_FLAG_SET(filter, name);
      return RUN_ALL_TESTS();
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failed.push_back(name);
  }
  std::cout << "\n[process-per-test] " << tests.size() - failed.size() << " of " << tests.size()
            << " tests passed, each in its own process\n";
  for (const auto& name : failed) std::cout << "[process-per-test] FAILED " << name << '\n';
  return failed.empty() ? 0 : 1;
}

// Our own main: libsystemc's would print the SystemC banner before every listing and test run.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
