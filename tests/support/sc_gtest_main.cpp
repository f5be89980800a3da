// Entry point for test executables that link SystemC: libsystemc's main() calls sc_main, which
// runs the tests. ctest runs each discovered test in its own process, so every SystemC test gets
// a fresh kernel (the kernel cannot be reset within a process).
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// Our own main (libsystemc's would print the SystemC banner before every test listing and run).
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
