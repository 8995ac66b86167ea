// A program built against an installed adminara_obs (see ../run_install_test.sh). Prints the
// version of the linked library; fails when the installed headers and library disagree.
#include <adminara/obs.h>

#include <iostream>

int main() {
  namespace obs = adminara::obs;
  if (obs::version() != obs::kVersion) {
    std::cerr << "library version " << obs::version() << " != header version " << obs::kVersion
              << "\n";
    return 1;
  }
  std::cout << obs::version() << "\n";
  return 0;
}
