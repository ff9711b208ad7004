// config_admin.hpp — the reader for `metrics`, the admin listener's section (private to
// gateway/config*.cpp): enabled, address, admin_token_file (and the token in it),
// max_connections.
//
// Same rules as config_yaml.hpp: every problem goes into the error_list at the node that
// caused it, nothing throws on bad input.
#pragma once

#include <filesystem>
#include <utility>
#include <vector>

#include "gateway/config.hpp"
#include "gateway/config_yaml.hpp"

namespace vncgate::gateway::config_detail {

// The shortest token accepted: 128 bits written in hex (`openssl rand -hex 16`).
inline constexpr std::size_t min_admin_token_size = 32;

// `listeners`: every listener address already read, with its line (an admin address
// may not be one of them). A non-loopback address needs admin_token_file.
void read_metrics(const field& f, const std::vector<std::pair<endpoint, int>>& listeners,
                  const std::filesystem::path& base_dir, metrics_config& out, error_list& e);

}  // namespace vncgate::gateway::config_detail
