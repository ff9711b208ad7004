// window_title.hpp — every title a client's window takes on an X display (Xvfb), until
// the window goes.
//
// A viewer may show something in its title only for a moment: TigerVNC's vncviewer
// renames its window to the desktop name the server sends, and exits as soon as the
// connection ends right after. Polling would miss it; `xprop -spy` prints the title each
// time the X server announces a change (PropertyNotify), so no value is missed however
// short-lived, and it keeps what it printed after the window is destroyed.
// Blocking (starts short programs, polls); one owner; the destructor stops xprop.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/diagnostics.hpp"
#include "harness/process.hpp"
#include "harness/temp_dir.hpp"

namespace vncgate::e2e {

class window_title_watch {
 public:
  // Waits up to `timeout` for a window on :`display` whose title matches `name_regex`
  // (`xdotool search --name`), then follows its _NET_WM_NAME and WM_NAME. Throws
  // std::runtime_error when no such window appears or xprop does not start.
  window_title_watch(const temp_dir& dir, int display, const std::string& name_regex,
                     std::chrono::milliseconds timeout);
  ~window_title_watch();
  window_title_watch(const window_title_watch&) = delete;
  window_title_watch& operator=(const window_title_watch&) = delete;

  const std::string& window_id() const noexcept { return window_; }
  // The titles seen so far, in order, a repeated value once (the first is the title
  // when the watch began).
  std::vector<std::string> titles() const;
  // Waits up to `timeout` for a title containing `fragment`.
  bool wait_for_title(const std::string& fragment, std::chrono::milliseconds timeout) const;
  // True while the window exists (xprop exits when it is destroyed).
  bool window_exists() { return spy_->alive(); }
  std::string log() const { return read_text(log_); }

 private:
  std::string window_;
  std::filesystem::path log_;
  std::unique_ptr<process> spy_;
  diagnostic_source diagnostics_source_{"window titles (xprop -spy)", [this] { return log(); }};
};

}  // namespace vncgate::e2e
