#include "harness/vncviewer.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace vncgate::e2e {
namespace {

bool x_socket_accepts(int display) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = "/tmp/.X11-unix/X" + std::to_string(display);
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

xvfb_display::xvfb_display(const temp_dir& dir) {
  std::string n = std::to_string(claim_.number());
  auto log = dir.path() / ("xvfb-" + n + ".log");
  server_ = std::make_unique<process>(
      process_options{.argv = {"Xvfb", ":" + n, "-screen", "0", "1024x768x24", "-nolisten", "tcp"}, .stdout_file = log});
  if (!wait_until([&] { return !server_->alive() || x_socket_accepts(claim_.number()); }, 10s) || !server_->alive())
    throw std::runtime_error("Xvfb :" + n + " did not start:\n" + read_text(log));
}

xvfb_display::~xvfb_display() {
  int status = server_->terminate();
  if (WIFSIGNALED(status)) {
    std::error_code ignored;
    std::string n = std::to_string(claim_.number());
    std::filesystem::remove("/tmp/.X" + n + "-lock", ignored);
    std::filesystem::remove("/tmp/.X11-unix/X" + n, ignored);
  }
}

vncviewer::vncviewer(const temp_dir& dir, const xvfb_display& display, std::uint16_t port, vncviewer_options o) {
  static int counter = 0;
  std::string stem = "vncviewer-" + std::to_string(++counter);
  log_ = dir.path() / (stem + ".log");
  auto home = dir.path() / (stem + "-home");
  std::filesystem::create_directories(home);
  std::vector<std::string> argv = {"vncviewer", "-SecurityTypes", o.security_types, "-ReconnectOnError=0",
                                   "-AlertOnFatalError=0", "-Log", "*:stderr:30"};
  if (!o.ca_file.empty()) argv.insert(argv.end(), {"-X509CA", o.ca_file.string()});
  argv.push_back(o.host + "::" + std::to_string(port));  // '::' means a port, ':' a display
  env_list env = {{"DISPLAY", ":" + std::to_string(display.number())},
                  {"HOME", home.string()},
                  {"VNC_USERNAME", o.user},
                  {"VNC_PASSWORD", o.password}};
  viewer_ = std::make_unique<process>(process_options{.argv = argv, .env = env, .stdout_file = log_});
}

vncviewer::~vncviewer() { viewer_->terminate(); }

bool vncviewer::wait_connected(std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        std::string text = log();
        return text.find("Using pixel format") != std::string::npos ||
               text.find("Enabling continuous updates") != std::string::npos;
      },
      timeout);
}

}  // namespace vncgate::e2e
