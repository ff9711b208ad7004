// The files a gateway under test reads: config.yaml, users.yaml, target secrets, and
// the pam_wrapper service directory.
#include <map>
#include <sstream>
#include <stdexcept>

#include "harness/gateway.hpp"

namespace vncgate::e2e {
namespace {

// YAML double-quoted scalar: safe for any path, name or hash ("$y$..." included).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quoted(items[i]);
  return out + "]";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

// True when one of `lines` ("key: value") sets `key`.
bool sets_key(const std::vector<std::string>& lines, std::string_view key) {
  for (const auto& line : lines) {
    std::string_view l = line;
    if (l.starts_with(key) && l.substr(key.size()).starts_with(":")) return true;
  }
  return false;
}

}  // namespace

std::filesystem::path vncgate_binary() {
  if (const char* override_path = std::getenv("VNCGATE_BINARY"); override_path && *override_path) return override_path;
  return VNCGATE_BINARY;
}

std::string hash_password(const temp_dir& dir, const std::string& password) {
  static std::map<std::string, std::string> cache;  // yescrypt is slow on purpose
  if (auto it = cache.find(password); it != cache.end()) return it->second;
  auto input = dir.write("hash-password.in", password + "\n");
  auto r = run({.argv = {vncgate_binary().string(), "hash-password"}, .stdin_file = input}, dir.path());
  std::filesystem::remove(input);
  std::string hash = trim(r.out);
  if (r.exit_code != 0 || hash.empty() || hash[0] != '$' || hash.find('\n') != std::string::npos)
    throw std::runtime_error("vncgate hash-password failed (exit " + std::to_string(r.exit_code) + "): out=" + r.out +
                             " err=" + r.err);
  cache[password] = hash;
  return hash;
}

std::filesystem::path write_gateway_config(const temp_dir& dir, const std::filesystem::path& gw_dir,
                                           const certs& tls, const gateway_options& o,
                                           const std::vector<std::uint16_t>& ports,
                                           std::optional<std::uint16_t> metrics_port) {
  std::filesystem::create_directories(gw_dir);
  auto name = [&](const std::filesystem::path& file) {
    return quoted(o.relative_paths ? std::filesystem::relative(file, gw_dir).string() : file.string());
  };
  auto rel = [&](const std::filesystem::path& file) { return std::filesystem::relative(file, dir.path()).string(); };

  std::ostringstream y;
  y << "# written by the vncgate end-to-end tests\nlisteners:\n";
  for (std::size_t i = 0; i < o.listeners.size(); ++i) {
    const auto& l = o.listeners[i];
    y << "  - address: " << quoted("127.0.0.1:" + std::to_string(ports.at(i))) << "\n"
      << "    security: " << l.security << "\n";
    if (l.target) y << "    target: " << quoted(*l.target) << "\n";
    if (l.allow_anonymous_tls) y << "    allow_anonymous_tls: true\n";
    for (const auto& line : l.extra_lines) y << "    " << line << "\n";
  }
  y << "tls:\n  certificate: " << name(tls.certificate) << "\n  private_key: " << name(tls.private_key) << "\n";
  for (const auto& line : o.tls_lines) y << "  " << line << "\n";
  y << "auth:\n  backend: " << o.backend << "\n";
  if (o.backend == "pam") {
    y << "  pam_service: " << quoted(o.pam_service) << "\n";
  } else {
    std::ostringstream u;
    u << "users:\n";
    for (const auto& user : o.users) {
      u << "  " << quoted(user.name) << ":\n    password_hash: " << quoted(hash_password(dir, user.password)) << "\n";
      if (!user.groups.empty()) u << "    groups: " << quoted_list(user.groups) << "\n";
    }
    auto users_file = dir.write(rel(gw_dir / "users.yaml"), u.str(), 0600);
    y << "  users_file: " << name(users_file) << "\n";
  }
  y << "  failure_delay: " << o.failure_delay << "\n";
  for (const auto& line : o.auth_lines) y << "  " << line << "\n";
  y << "targets:\n";
  for (const auto& t : o.targets) {
    y << "  - name: " << quoted(t.name) << "\n    host: " << quoted(t.host) << "\n    port: " << t.port << "\n";
    std::optional<std::string> secret = t.password_file_bytes;
    if (!secret && t.password) secret = *t.password + "\n";
    if (secret) {
      auto file = dir.write(rel(gw_dir / "secrets" / (t.name + ".pass")), *secret, 0600);
      y << "    password_file: " << name(file) << "\n";
    }
    y << "    allow:\n";
    if (!t.allow_users.empty()) y << "      users: " << quoted_list(t.allow_users) << "\n";
    if (!t.allow_groups.empty()) y << "      groups: " << quoted_list(t.allow_groups) << "\n";
    if (t.shared) y << "    shared: " << (*t.shared ? "true" : "false") << "\n";
    for (const auto& line : t.extra_lines) y << "    " << line << "\n";
  }
  y << "policy:\n  handshake_timeout: " << o.handshake_timeout << "\n";
  if (!o.end_revoked_sessions) y << "  end_revoked_sessions: false\n";
  for (const char* key : {"connections_per_minute_per_ip", "max_handshakes_per_ip"})
    if (!sets_key(o.policy_lines, key)) y << "  " << key << ": 0\n";
  for (const auto& line : o.policy_lines) y << "  " << line << "\n";
  y << "audit:\n  - type: file\n    path: " << name(gw_dir / "audit.jsonl") << "\n";
  for (const auto& line : o.audit_lines) y << "  " << line << "\n";
  if (metrics_port) {
    y << "metrics:\n  address: " << quoted("127.0.0.1:" + std::to_string(*metrics_port)) << "\n";
    for (const auto& line : o.metrics_lines) y << "  " << line << "\n";
  }
  // A stopping test gateway ends its sessions at once (the product's default waits 25 s).
  if (!sets_key(o.top_lines, "shutdown_grace")) y << "shutdown_grace: 0s\n";
  for (const auto& line : o.top_lines) y << line << "\n";
  return dir.write(rel(gw_dir / "config.yaml"), y.str(), 0600);
}

env_list pam_wrapper_env(const temp_dir& dir, const std::string& service, const std::vector<user_spec>& users,
                         const std::filesystem::path& program, const std::vector<std::string>& more_auth) {
  const std::string matrix = "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so";
  if (!std::filesystem::exists(matrix)) throw std::runtime_error(matrix + " missing: apt-get install libpam-wrapper");
  auto passdb = dir.path() / "pam" / "passdb";
  std::string lines;
  for (const auto& u : users) lines += u.name + ":" + u.password + ":" + service + "\n";
  dir.write("pam/passdb", lines);
  // pam_wrapper copies the service dir when the process starts: write it first.
  std::string stack = "auth     requisite " + matrix + " passdb=" + passdb.string() + "\n";
  for (const auto& line : more_auth) stack += "auth     " + line + "\n";
  stack += "account  required " + matrix + " passdb=" + passdb.string() + "\n";
  dir.write("pam/services/" + service, stack, 0644);
  dir.write("pam/services/other", "auth required pam_deny.so\naccount required pam_deny.so\n", 0644);

  env_list env = {{"PAM_WRAPPER", "1"}, {"PAM_WRAPPER_SERVICE_DIR", (dir.path() / "pam" / "services").string()}};
  std::string preload = "libpam_wrapper.so";
  auto ldd = run({.argv = {"ldd", program.string()}}, dir.path());
  std::istringstream lines_in(ldd.out);
  for (std::string line; std::getline(lines_in, line);) {
    if (line.find("libasan") == std::string::npos) continue;
    // "	libasan.so.8 => /lib/x86_64-linux-gnu/libasan.so.8 (0x...)": ASan must come first.
    auto arrow = line.find("=> ");
    auto end = line.find(" (", arrow);
    if (arrow != std::string::npos && end != std::string::npos) {
      preload = line.substr(arrow + 3, end - arrow - 3) + " " + preload;
      env.emplace_back("PAM_WRAPPER_DISABLE_DEEPBIND", "1");
    }
    break;
  }
  env.emplace_back("LD_PRELOAD", preload);
  return env;
}

}  // namespace vncgate::e2e
