// vncviewer.hpp — TigerVNC's vncviewer, a second real client, on its own Xvfb display.
//
// The viewer takes VeNCrypt credentials from VNC_USERNAME / VNC_PASSWORD and the CA
// from -X509CA, with -ReconnectOnError=0 -AlertOnFatalError=0 so no dialog can block;
// HOME is a scratch dir (it creates ~/.vnc). Its exit code means nothing (a refused
// login exits 0 too): success is "still running, and the log says it set a pixel
// format". Blocking; one owner; the destructor stops the viewer, then Xvfb.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "harness/diagnostics.hpp"
#include "harness/loopback.hpp"
#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

class xvfb_display {
 public:
  explicit xvfb_display(const temp_dir& dir);  // returns once the X socket accepts connections
  ~xvfb_display();
  xvfb_display(const xvfb_display&) = delete;
  xvfb_display& operator=(const xvfb_display&) = delete;
  int number() const noexcept { return claim_.number(); }

 private:
  display_claim claim_;
  std::unique_ptr<process> server_;
};

struct vncviewer_options {
  std::string user{};
  std::string password{};
  std::filesystem::path ca_file{};
  std::string security_types = "X509Plain";
  std::string host = "localhost";   // must match the certificate's SAN
};

class vncviewer {
 public:
  vncviewer(const temp_dir& dir, const xvfb_display& display, std::uint16_t port, vncviewer_options options);
  ~vncviewer();
  vncviewer(const vncviewer&) = delete;
  vncviewer& operator=(const vncviewer&) = delete;

  // Waits up to `timeout` for the log to show a pixel format / continuous updates.
  bool wait_connected(std::chrono::milliseconds timeout);
  bool alive() { return viewer_->alive(); }
  std::string log() const { return read_text(log_); }
  void stop() { viewer_->terminate(); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<process> viewer_;
  diagnostic_source diagnostics_source_{"vncviewer log", [this] { return log(); }};
};

}  // namespace vncgate::e2e
