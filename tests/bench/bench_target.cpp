// bench_target.cpp — main of the synthetic RFB 3.8 target the relay benchmark serves
// frames from (see target_session.hpp for what a connection does).
//
//   bench_target [--address 127.0.0.1] [--port 0] [--width 1920] [--height 1080]
//                [--rfbauth FILE] [--threads 1]
//   bench_target make-passwd-file FILE     (password on stdin -> `vncpasswd -f` format)
//
// Prints "listening PORT" on stdout once it accepts, then serves until SIGTERM/SIGINT.
// --rfbauth takes the 8-byte file `vncpasswd -f` (or make-passwd-file) writes, like
// Xvnc's -rfbauth; without it the target offers security None.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "bench/framebuffer_update.hpp"
#include "bench/target_session.hpp"
#include "rfb/vnc_auth.hpp"

namespace vncgate::bench {
namespace {

struct target_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint16_t width = 1920;
  std::uint16_t height = 1080;
  std::string rfbauth;
  unsigned threads = 1;
};

int usage() {
  std::cerr << "usage: bench_target [--address A] [--port P] [--width W] [--height H] [--rfbauth FILE] [--threads N]\n"
               "       bench_target make-passwd-file FILE   (reads the password from stdin)\n";
  return 2;
}

bool parse(int argc, char** argv, target_options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    try {
      if (flag == "--address") o.address = value;
      else if (flag == "--port") o.port = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--width") o.width = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--height") o.height = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--rfbauth") o.rfbauth = value;
      else if (flag == "--threads") o.threads = static_cast<unsigned>(std::stoul(value));
      else return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return o.width > 0 && o.height > 0 && o.threads > 0;
}

int make_passwd_file(const std::string& path) {
  std::string password;
  std::getline(std::cin, password);
  auto file = rfb::encode_vncpasswd_file(password);
  OPENSSL_cleanse(password.data(), password.size());
  if (!file) {
    std::cerr << "bench_target: DES unavailable (OpenSSL legacy provider)\n";
    return 1;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(file->data()), static_cast<std::streamsize>(file->size()));
  out.close();
  if (!out || ::chmod(path.c_str(), 0600) != 0) {
    std::cerr << "bench_target: cannot write " << path << "\n";
    return 1;
  }
  return 0;
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, const target_screen& screen) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: wait and retry, never exit.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_target_session(std::move(socket), screen),
                   [](std::exception_ptr e) {
                     if (e) std::cerr << "bench_target: a session threw\n";
                   });
  }
}

int run(const target_options& o) {
  target_screen screen;
  screen.server_init = bench_server_init(o.width, o.height);
  screen.update = full_screen_raw_update(o.width, o.height);
  if (!o.rfbauth.empty()) {
    std::ifstream in(o.rfbauth, std::ios::binary);
    rfb::bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    screen.vnc_password = rfb::decode_vncpasswd_file(file);
    OPENSSL_cleanse(file.data(), file.size());
    if (!screen.vnc_password) {
      std::cerr << "bench_target: " << o.rfbauth << " is not a vncpasswd file\n";
      return 1;
    }
  }

  asio::io_context io(static_cast<int>(o.threads));
  error_code ec;
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address(o.address, ec), o.port);
  if (ec) {
    std::cerr << "bench_target: bad address " << o.address << "\n";
    return 2;
  }
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(4096, ec);
  if (ec) {
    std::cerr << "bench_target: cannot listen on " << o.address << ":" << o.port << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "listening " << acceptor.local_endpoint().port() << std::endl;

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const error_code&, int) { io.stop(); });
  asio::co_spawn(io, accept_loop(acceptor, screen), [](std::exception_ptr e) {
    if (e) std::cerr << "bench_target: the accept loop threw\n";
  });
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < o.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  if (screen.vnc_password) OPENSSL_cleanse(screen.vnc_password->data(), screen.vnc_password->size());
  return 0;
}

}  // namespace
}  // namespace vncgate::bench

int main(int argc, char** argv) {
  using namespace vncgate::bench;
  if (argc == 3 && std::string(argv[1]) == "make-passwd-file") return make_passwd_file(argv[2]);
  target_options o;
  if (!parse(argc, argv, o)) return usage();
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "bench_target: " << e.what() << "\n";
    return 1;
  }
}
