#include "harness/xvnc.hpp"

#include <sys/wait.h>

#include <csignal>
#include <stdexcept>

namespace vncgate::e2e {

std::string vncpasswd_bytes(const temp_dir& dir, const std::string& password) {
  static int counter = 0;
  std::string stem = "vncpasswd-" + std::to_string(++counter);
  auto input = dir.write(stem + ".in", password + "\n");
  // tigervncpasswd: plain `vncpasswd` is a Debian alternative another package could own.
  auto r = run({.argv = {"tigervncpasswd", "-f"}, .stdin_file = input}, dir.path());
  std::filesystem::remove(input);
  if (r.exit_code != 0 || r.out.size() < 8) throw std::runtime_error("tigervncpasswd -f failed: " + r.err);
  return r.out;
}

xvnc_server::xvnc_server(const temp_dir& dir, xvnc_options options) : options_(std::move(options)) {
  port_ = free_tcp_port();
  std::string n = std::to_string(display_.number());
  state_dir_ = dir.path() / ("xvnc-" + n);
  std::filesystem::create_directories(state_dir_);
  log_ = state_dir_ / "xvnc.log";

  std::vector<std::string> argv = {"Xvnc", ":" + n, "-rfbport", std::to_string(port_), "-localhost",
                                   "-geometry", std::to_string(options_.width) + "x" + std::to_string(options_.height),
                                   "-depth", "24", "-desktop", "e2e-" + n, "-UseBlacklist=0"};
  if (options_.password.empty()) {
    argv.insert(argv.end(), {"-SecurityTypes", "None"});
  } else {
    password_file_ = dir.write("xvnc-" + n + "/passwd", vncpasswd_bytes(dir, options_.password));
    argv.insert(argv.end(), {"-SecurityTypes", "VncAuth", "-rfbauth", password_file_.string()});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  server_ = std::make_unique<process>(process_options{.argv = argv, .stdout_file = log_});

  // Greeting first: X clients started before the server is up fail silently.
  bool up = wait_until([&] { return !server_->alive() || greeting_is(port_, "RFB 003.008\n", 1s); }, 10s);
  if (!up || !server_->alive())
    throw std::runtime_error("Xvnc :" + n + " did not answer on port " + std::to_string(port_) + "; log:\n" + log());

  std::vector<std::string> paint;
  if (!options_.root_colour.empty()) {
    paint = {"xsetroot", "-solid", options_.root_colour};
  } else if (!options_.pattern_foreground.empty()) {
    paint = {"xsetroot", "-mod", "8", "8", "-fg", options_.pattern_foreground, "-bg", options_.pattern_background};
  }
  if (!paint.empty()) {
    auto r = run({.argv = paint, .env = {{"DISPLAY", ":" + n}}}, state_dir_);
    if (r.exit_code != 0) throw std::runtime_error("xsetroot failed on :" + n + ": " + r.err);
  }
}

xvnc_server::~xvnc_server() {
  if (!server_) return;
  int status = server_->terminate();
  // After a KILL, Xvnc leaves its lock and socket; a TERM lets it remove them itself.
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    std::error_code ignored;
    std::string n = std::to_string(display_.number());
    std::filesystem::remove("/tmp/.X" + n + "-lock", ignored);
    std::filesystem::remove("/tmp/.X11-unix/X" + n, ignored);
  }
}

}  // namespace vncgate::e2e
