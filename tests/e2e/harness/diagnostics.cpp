#include "harness/diagnostics.hpp"

#include <algorithm>

namespace vncgate::e2e {
namespace {
std::vector<const diagnostic_source*>& registry() {
  static std::vector<const diagnostic_source*> sources;
  return sources;
}
}  // namespace

diagnostic_source::diagnostic_source(std::string name, std::function<std::string()> describe)
    : name_(std::move(name)), describe_(std::move(describe)) {
  registry().push_back(this);
}

diagnostic_source::~diagnostic_source() { std::erase(registry(), this); }

const std::vector<const diagnostic_source*>& diagnostic_sources() { return registry(); }

}  // namespace vncgate::e2e
