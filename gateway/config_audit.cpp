// config_audit.cpp — the `audit` section: which sinks the audit records go to (see
// config_audit.hpp). docs/configuration.md documents each key; keep the two in step.
#include "gateway/config_audit.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

namespace vncgate::gateway::config_detail {

namespace {

constexpr std::string_view audit_keys[] = {"type", "path", "socket", "facility", "app_name"};

struct facility_name {
  std::string_view name;
  int code;  // RFC 5424 §6.2.1
};
constexpr facility_name facilities[] = {
    {"user", 1},     {"daemon", 3},   {"auth", 4},     {"authpriv", 10}, {"local0", 16}, {"local1", 17},
    {"local2", 18},  {"local3", 19},  {"local4", 20},  {"local5", 21},   {"local6", 22}, {"local7", 23}};

// sockaddr_un::sun_path holds 108 bytes with the terminating NUL.
constexpr std::size_t longest_socket_path = 107;
// RFC 5424 §6: APP-NAME = 1*48PRINTUSASCII.
constexpr std::size_t longest_app_name = 48;

int line_of(const field& f) { return f.mark.is_null() ? 0 : f.mark.line + 1; }

// A key that only one type uses, set on a sink of another type.
void reject_key(const yaml_map& m, std::string_view key, std::string_view used_with, error_list& e) {
  if (const auto f = m.get(key); f.present())
    e.add(f, std::string(key) + " is only used with type: " + std::string(used_with));
}

std::optional<int> read_facility(const field& f, error_list& e) {
  const auto name = read_string(f, "facility", e);
  if (!name) return std::nullopt;
  for (const auto& [known, code] : facilities)
    if (known == *name) return code;
  e.add(f, "expected one of user, daemon, auth, authpriv, local0 .. local7 for facility, not '" + *name + "'");
  return std::nullopt;
}

std::optional<std::string> read_app_name(const field& f, error_list& e) {
  auto name = read_string(f, "app_name", e);
  if (!name) return std::nullopt;
  const bool printable =
      std::all_of(name->begin(), name->end(), [](char c) { return c >= 33 && c <= 126; });
  if (name->empty() || name->size() > longest_app_name || !printable) {
    e.add(f, "expected 1 to 48 printable ASCII characters without spaces for app_name (RFC 5424 APP-NAME)");
    return std::nullopt;
  }
  return name;
}

// One `- { type: syslog, ... }` entry; false after reporting.
bool read_syslog(const yaml_map& m, const std::filesystem::path& base_dir, audit_sink_config& sink, error_list& e) {
  const auto before = e.total();
  sink.kind = audit_sink_kind::syslog;
  sink.path = "/dev/log";
  reject_key(m, "path", "file (a syslog sink names its socket)", e);
  if (const auto socket_field = m.get("socket"); socket_field.present()) {
    if (auto socket = read_path(socket_field, "socket", base_dir, e)) {
      if (socket->native().size() > longest_socket_path)
        e.add(socket_field, "the socket path is longer than 107 bytes, the most a unix socket address holds");
      sink.path = std::move(*socket);
    }
  }
  if (const auto facility_field = m.get("facility"); facility_field.present()) {
    if (auto code = read_facility(facility_field, e)) sink.facility = *code;
  }
  if (const auto app_field = m.get("app_name"); app_field.present()) {
    if (auto name = read_app_name(app_field, e)) sink.app_name = std::move(*name);
  }
  return e.total() == before;
}

}  // namespace

void read_audit(const field& f, const std::filesystem::path& base_dir, std::vector<audit_sink_config>& out,
                error_list& e) {
  if (!f.present()) {
    out.push_back({audit_sink_kind::stdout_sink, {}});
    return;
  }
  if (!f.value.IsSequence()) {
    e.add(f, "expected a list of audit sinks");
    return;
  }
  if (f.value.size() == 0) {
    e.add(f, "the list of audit sinks is empty");
    return;
  }
  std::vector<int> lines;
  for (const auto& node : f.value) {
    const field sink_field(node);
    const yaml_map m(sink_field, "audit sink", audit_keys, {}, e);
    if (!m.valid()) continue;
    const auto type_field = m.require("type");
    const auto type = read_string(type_field, "type", e);
    if (!type) continue;
    audit_sink_config sink;
    if (*type == "stdout") {
      sink.kind = audit_sink_kind::stdout_sink;
      reject_key(m, "path", "file", e);
    } else if (*type == "file") {
      sink.kind = audit_sink_kind::file;
      const auto path_field = m.get("path");
      auto path = read_path(path_field, "path", base_dir, e);
      if (!path_field.present()) e.add(m.mark(), "audit sink is missing 'path' (required with type: file)");
      if (!path) continue;
      sink.path = std::move(*path);
    } else if (*type == "syslog") {
      if (!read_syslog(m, base_dir, sink, e)) continue;
    } else {
      e.add(type_field, "expected file, stdout or syslog for type, not '" + *type + "'");
      continue;
    }
    if (sink.kind != audit_sink_kind::syslog) {
      for (auto key : {"socket", "facility", "app_name"}) reject_key(m, key, "syslog", e);
    }
    // Two sinks writing the same place would interleave or double every record.
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i].kind == sink.kind && out[i].path == sink.path) {
        e.add(sink_field, "the audit sink at line " + std::to_string(lines[i]) + " already writes there" +
                              (sink.kind == audit_sink_kind::syslog ? " (the same socket)" : ""));
        break;
      }
    }
    out.push_back(std::move(sink));
    lines.push_back(line_of(sink_field));
  }
}

}  // namespace vncgate::gateway::config_detail
