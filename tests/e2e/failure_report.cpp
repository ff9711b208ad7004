// failure_report.cpp — prints the gateway's stderr, its audit trail and other harness
// logs at the first failed assertion of each test case, so a ctest failure explains
// itself (ctest --output-on-failure).
// Listener base classes are only declared with CATCH_CONFIG_EXTERNAL_INTERFACES.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <iostream>

#include "harness/diagnostics.hpp"

namespace {

using vncgate::e2e::diagnostic_sources;

struct failure_report : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    printed_ = false;
    TestEventListenerBase::testCaseStarting(info);
  }

  bool assertionEnded(Catch::AssertionStats const& stats) override {
    if (!stats.assertionResult.isOk() && !printed_) {
      printed_ = true;
      for (const auto* source : diagnostic_sources())
        std::cerr << "===== " << source->name() << " =====\n" << source->describe() << "\n";
    }
    return true;
  }

 private:
  bool printed_ = false;
};

CATCH_REGISTER_LISTENER(failure_report)

}  // namespace
