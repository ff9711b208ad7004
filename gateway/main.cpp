// main.cpp — the vncgate command line: run, check-config, hash-password, totp, --version.
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "auth/password_hash.hpp"
#include "gateway/audit.hpp"
#include "gateway/config.hpp"
#include "gateway/log.hpp"
#include "gateway/kernel_tls.hpp"
#include "gateway/runtime.hpp"
#include "gateway/server.hpp"
#include "gateway/totp_command.hpp"
#include "gateway/version.hpp"

namespace gw = vncgate::gateway;

namespace {

constexpr const char* usage = R"(usage:
  vncgate --config FILE [--log-level debug|info|warning|error] [--log-format text|json]
                                  run the gateway; the log goes to stderr
  vncgate check-config FILE       validate FILE; print every error as file:line:col; exit 1 on error
  vncgate hash-password           read a password, print a crypt(3) hash for the users file
  vncgate totp enroll USER [--config FILE] [--algorithm sha1|sha256|sha512] [--digits 6|8] [--replace] [--invert]
                                  make USER a TOTP secret; print the otpauth:// URI and a QR code
                                  (FILE defaults to /etc/vncgate/vncgate.yaml)
  vncgate totp verify USER CODE [--config FILE]
                                  check a code against USER's secret (does not spend it)
  vncgate --version
)";

void print_errors(const std::vector<gw::config_error>& errors) {
  for (const auto& e : errors) std::cerr << e.to_string() << "\n";
}

int check_config(const char* path) {
  auto cfg = gw::load_config(path);
  if (!cfg) {
    print_errors(cfg.error());
    std::cerr << cfg.error().size() << " error" << (cfg.error().size() == 1 ? "" : "s") << " in " << path << "\n";
    return 1;
  }
  std::cout << path << ": configuration OK\n";
  return 0;
}

// Reads one line from stdin; with a terminal, without echo.
bool read_secret_line(const char* prompt, std::string& out) {
  bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = static_cast<bool>(std::getline(std::cin, out));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return ok;
}

int hash_password() {
  std::string password, again;
  if (!read_secret_line("Password: ", password)) {
    std::cerr << "vncgate: no password on standard input\n";
    return 1;
  }
  if (::isatty(STDIN_FILENO)) {
    if (!read_secret_line("Again: ", again) || again != password) {
      std::cerr << "vncgate: the passwords differ\n";
      return 1;
    }
  }
  if (password.empty()) {
    std::cerr << "vncgate: refusing an empty password\n";
    return 1;
  }
  auto hash = vncgate::auth::hash_password(password);
  OPENSSL_cleanse(password.data(), password.size());
  OPENSSL_cleanse(again.data(), again.size());
  if (!hash) {
    std::cerr << "vncgate: libcrypt could not hash the password\n";
    return 1;
  }
  std::cout << *hash << "\n";
  return 0;
}

// Every session holds two descriptors; the usual soft limit of 1024 would cap a bastion
// at about 500 sessions while the hard limit allows far more.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) gw::log_warning("could not raise the open-file limit");
}

int run(const char* path) {
  // OpenSSL writes to client sockets with write(2) and the relay splices into them: a
  // client gone mid-write must be an EPIPE for that session, not a SIGPIPE that ends
  // the gateway (systemd ignores it for us, a container's init or a shell does not).
  ::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  auto loaded = gw::load_config(path);
  if (!loaded) {
    print_errors(loaded.error());
    gw::log_error(std::string("not started: the configuration ") + path + " has errors");
    return 1;
  }
  gw::config& cfg = *loaded;
  if (::geteuid() == 0)
    gw::log_warning("running as root; run vncgate as an unprivileged user (the systemd unit does)");

  // The metrics before the audit log: its writer counts into them until it has flushed
  // the last records, so they must be destroyed after it.
  gw::metrics stats(gw::version_string);
  auto audit = gw::audit_log::open(cfg.audit);
  if (!audit) {
    gw::log_error("not started: " + audit.error());
    return 1;
  }
  (*audit)->report_to(stats);
  gw::log_info(gw::kernel_tls_status(cfg.tls.kernel_tls));
  std::size_t workers = cfg.workers;
  boost::asio::thread_pool auth_pool(cfg.auth.threads);
  gw::admission gate(cfg.policy);
  vncgate::auth::totp_replay_guard totp_guard;
  stats.config_loaded(cfg.source_sha256, false);
  auto rt = gw::make_runtime(std::move(cfg));
  if (!rt) {
    gw::log_error("not started: " + rt.error());
    return 1;
  }
  gw::server server(path, *rt, gw::services{**audit, auth_pool, gate, totp_guard, stats}, workers);
  if (auto bound = server.bind(); !bound) {
    gw::log_error("not started: " + bound.error());
    return 1;
  }
  gw::log_info(std::string("vncgate ") + gw::version_string + " ready");
  return server.run();  // joins the auth pool before the workers go
}

bool parse_level(std::string_view s, gw::log_level& out) {
  if (s == "debug") out = gw::log_level::debug;
  else if (s == "info") out = gw::log_level::info;
  else if (s == "warning") out = gw::log_level::warning;
  else if (s == "error") out = gw::log_level::error;
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && (args[0] == "--version" || args[0] == "version")) {
      std::cout << "vncgate " << gw::version_string << "\n";
      return 0;
    }
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << usage;
      return 0;
    }
    if (args.size() == 2 && args[0] == "check-config") return check_config(argv[2]);
    if (args.size() == 1 && args[0] == "hash-password") return hash_password();
    if (!args.empty() && args[0] == "totp") return gw::totp_command(std::span(args).subspan(1));
    const char* config = nullptr;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--config" && i + 1 < args.size()) {
        config = argv[i + 2];
        ++i;
      } else if (args[i] == "--log-format" && i + 1 < args.size()) {
        if (args[i + 1] != "text" && args[i + 1] != "json") {
          std::cerr << "vncgate: unknown log format '" << args[i + 1] << "' (text or json)\n" << usage;
          return 2;
        }
        gw::set_log_format(args[i + 1] == "json" ? gw::log_format::json : gw::log_format::text);
        ++i;
      } else if (args[i] == "--log-level" && i + 1 < args.size()) {
        gw::log_level level;
        if (!parse_level(args[i + 1], level)) {
          std::cerr << "vncgate: unknown log level '" << args[i + 1] << "'\n" << usage;
          return 2;
        }
        gw::set_log_level(level);
        ++i;
      } else {
        std::cerr << "vncgate: unexpected argument '" << args[i] << "'\n" << usage;
        return 2;
      }
    }
    if (!config) {
      std::cerr << usage;
      return 2;
    }
    return run(config);
  } catch (const std::exception& e) {
    std::cerr << "vncgate: fatal: " << e.what() << "\n";
    return 1;
  }
}
