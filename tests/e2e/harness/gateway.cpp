#include "harness/gateway.hpp"

#include <sys/wait.h>

#include <csignal>

#include <stdexcept>

#include "harness/loopback.hpp"

namespace vncgate::e2e {

gateway::gateway(const temp_dir& dir, const certs& tls, gateway_options options)
    : options_(std::move(options)), temp_(dir), tls_(tls), dir_(dir.path() / "gw"), audit_(dir_ / "audit.jsonl") {
  for (std::size_t i = 0; i < options_.listeners.size(); ++i) ports_.push_back(free_tcp_port());
  metrics_port_ = free_tcp_port();
  config_path_ = write_gateway_config(dir, dir_, tls, options_, ports_, metrics_port_);
  // Working directory "/": relative paths in the config must not resolve against it.
  std::vector<std::string> argv = {vncgate_binary().string(), "--config", config_path_.string()};
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  server_ = std::make_unique<process>(process_options{.argv = std::move(argv),
                                                      .env = options_.env,
                                                      .stdout_file = dir_ / "vncgate.out",
                                                      .stderr_file = dir_ / "vncgate.err",
                                                      .working_dir = "/"});
  bool listening = wait_until(
      [&] {
        if (!server_->alive()) return true;
        for (auto port : ports_)
          if (!process_listens(server_->pid(), port)) return false;
        return process_listens(server_->pid(), metrics_port_);
      },
      10s);
  if (!listening || !server_->alive()) {
    server_->terminate();
    throw std::runtime_error("vncgate did not start (exit " + std::to_string(exit_code_of(server_->wait_status().value_or(0))) +
                             ")\nconfig:\n" + read_text(config_path_) + "\nstderr:\n" + stderr_text());
  }
}

gateway::~gateway() { server_->terminate(); }

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}
}  // namespace

bool gateway::signal_reload() {
  const std::string ok = "configuration reloaded", failed = "reload failed";
  std::string before = stderr_text();
  std::size_t oks = count_of(before, ok), fails = count_of(before, failed);
  if (::kill(server_->pid(), SIGHUP) != 0) throw std::runtime_error("cannot signal vncgate");
  bool done = wait_until(
      [&] {
        std::string now = stderr_text();
        return count_of(now, ok) > oks || count_of(now, failed) > fails;
      },
      10s);
  if (!done) throw std::runtime_error("vncgate logged no reload result\n" + stderr_text());
  return count_of(stderr_text(), ok) > oks;
}

bool gateway::reload(gateway_options options) {
  while (ports_.size() < options.listeners.size()) ports_.push_back(free_tcp_port());
  ports_.resize(options.listeners.size());
  options_ = std::move(options);
  write_gateway_config(temp_, dir_, tls_, options_, ports_, metrics_port_);
  return signal_reload();
}

bool gateway::reload_with_text(const std::string& yaml) {
  temp_.write(std::filesystem::relative(config_path_, temp_.path()).string(), yaml);
  return signal_reload();
}

int gateway::fd_count() const { return e2e::fd_count(server_->pid()); }

std::string gateway::diagnostics() {
  std::string state = "running";
  if (!server_->alive()) {
    int status = server_->wait_status().value_or(0);
    state = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                : "exited with code " + std::to_string(exit_code_of(status));
  }
  std::string err = stderr_text();
  if (err.size() > 6000) err = "...\n" + err.substr(err.size() - 6000);
  std::string audit_text = audit_.raw();
  if (audit_text.size() > 6000) audit_text = "...\n" + audit_text.substr(audit_text.size() - 6000);
  return "--- vncgate process: " + state + " ---\n--- vncgate stderr ---\n" + err + "--- audit ---\n" + audit_text;
}

}  // namespace vncgate::e2e
