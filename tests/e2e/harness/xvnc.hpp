// xvnc.hpp — a TigerVNC Xvnc desktop on loopback: the gateway's upstream target.
//
// Started as `Xvnc :N -rfbport P -localhost -geometry WxH -depth 24 -SecurityTypes T
// -rfbauth passwd -UseBlacklist=0` (no blacklist: negative tests fail logins on
// purpose), with the password file from `vncpasswd -f`. The constructor returns once
// the RFB greeting answers and, if asked, the root window is painted with xsetroot so
// the pixels a client receives are known in advance. Blocking; one owner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/loopback.hpp"
#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

struct xvnc_options {
  std::string password = "vncpass1";   // empty: -SecurityTypes None
  int width = 640;
  int height = 480;
  std::string root_colour{};             // xsetroot -solid COLOUR, e.g. "#ff8000"
  std::string pattern_foreground{};      // with pattern_background: xsetroot -mod 8 8 -fg -bg
  std::string pattern_background{};
  std::vector<std::string> extra_args{};
};

class xvnc_server {
 public:
  // Throws std::runtime_error (with the log tail) when Xvnc does not come up.
  xvnc_server(const temp_dir& dir, xvnc_options options = {});
  ~xvnc_server();
  xvnc_server(const xvnc_server&) = delete;
  xvnc_server& operator=(const xvnc_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  int display() const noexcept { return display_.number(); }
  const xvnc_options& options() const noexcept { return options_; }
  // The 8-byte (DES-obfuscated) file written by `vncpasswd -f`; empty path for None.
  const std::filesystem::path& password_file() const noexcept { return password_file_; }
  // Where this server keeps its log and password file; scratch space for X clients.
  const std::filesystem::path& state_dir() const noexcept { return state_dir_; }
  bool alive() { return server_ && server_->alive(); }
  std::string log() const { return read_text(log_); }

 private:
  xvnc_options options_;
  display_claim display_;
  std::uint16_t port_ = 0;
  std::filesystem::path state_dir_;
  std::filesystem::path password_file_;
  std::filesystem::path log_;
  std::unique_ptr<process> server_;
};

// Runs `vncpasswd -f` on `password`; returns the obfuscated bytes (8, or 16 with a view-only line).
std::string vncpasswd_bytes(const temp_dir& dir, const std::string& password);

}  // namespace vncgate::e2e
