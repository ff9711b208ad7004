// config_audit.hpp — the reader for the `audit` section (private to gateway/config*.cpp):
// the list of sinks (file, stdout, syslog) with their keys.
//
// Same rules as config_yaml.hpp: every problem goes into the error_list at the node that
// caused it, nothing throws on bad input. No I/O: a syslog socket that is missing now is
// the running gateway's business (it warns and retries), not a configuration error.
#pragma once

#include <filesystem>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {

// The `audit` list onto `out`; absent: one stdout sink. Relative paths are taken against
// base_dir. Two sinks writing the same place (file path, syslog socket) are an error.
void read_audit(const field& f, const std::filesystem::path& base_dir, std::vector<audit_sink_config>& out,
                error_list& e);

}  // namespace vncgate::gateway::config_detail
