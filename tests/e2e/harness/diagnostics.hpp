// diagnostics.hpp — what to print when an end-to-end assertion fails.
//
// Harness objects whose state explains a failure (the gateway's stderr and audit
// trail, a viewer's log) register a callback for their lifetime; the Catch listener
// in tests/e2e/failure_report.cpp prints every registered source at the first failed
// assertion of a test case. Single-threaded (the test's thread).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace vncgate::e2e {

class diagnostic_source {
 public:
  diagnostic_source(std::string name, std::function<std::string()> describe);
  ~diagnostic_source();
  diagnostic_source(const diagnostic_source&) = delete;
  diagnostic_source& operator=(const diagnostic_source&) = delete;

  const std::string& name() const noexcept { return name_; }
  std::string describe() const { return describe_(); }

 private:
  std::string name_;
  std::function<std::string()> describe_;
};

// The sources alive now, oldest first.
const std::vector<const diagnostic_source*>& diagnostic_sources();

}  // namespace vncgate::e2e
