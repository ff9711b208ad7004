// bench_client.cpp — main of the relay benchmark's load client (see load_run.hpp).
//
//   bench_client --port P [--host 127.0.0.1] [--mode direct|vencrypt|tls]
//                [--user bench] [--password-file F] [--ca FILE] [--label L]
//                [--sessions N] [--duration S | --requests N] [--incremental]
//                [--idle N [--hold S] [--parallel P]] [--handshakes N]
//
// direct: RFB straight on TCP (None or VncAuth; to the target or a TCP proxy).
// vencrypt: RFB with VeNCrypt X509Plain (TLS after the subtype, certificate checked
//   against --ca), as through a vncgate `vencrypt` listener.
// tls: TLS first (checked against --ca), then RFB inside: HAProxy or stunnel
//   terminating TLS, or a vncgate `tls` listener (VeNCrypt Plain inside).
// --handshakes N: N sessions in sequence (log in, one update, close), for the server's
//   CPU per session; not with --duration, --requests or --idle.
// The password file's first line is the password for VeNCrypt Plain and VncAuth.
#include <fstream>
#include <iostream>
#include <string>

#include <openssl/crypto.h>

#include "bench/load_run.hpp"

namespace vncgate::bench {
namespace {

int usage() {
  std::cerr << "usage: bench_client --port P [--host H] [--mode direct|vencrypt|tls] [--user U]\n"
               "         [--password-file F] [--ca FILE] [--label L] [--sessions N]\n"
               "         [--duration S | --requests N] [--incremental] [--idle N [--hold S] [--parallel P]]\n"
               "         [--handshakes N]\n";
  return 2;
}

bool read_password(const std::string& path, std::string& password) {
  std::ifstream in(path);
  if (!in) return false;
  std::getline(in, password);
  return true;
}

bool parse(int argc, char** argv, client_options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--incremental") {
      o.incremental = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    try {
      if (flag == "--mode") {
        o.mode_name = value;
        if (value == "direct") o.mode = client_mode::direct;
        else if (value == "vencrypt") o.mode = client_mode::vencrypt;
        else if (value == "tls") o.mode = client_mode::tls;
        else return false;
      } else if (flag == "--host") o.host = value;
      else if (flag == "--port") o.port = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--user") o.user = value;
      else if (flag == "--password-file") {
        if (!read_password(value, o.password)) return false;
      } else if (flag == "--ca") o.ca_file = value;
      else if (flag == "--label") o.label = value;
      else if (flag == "--sessions") o.sessions = static_cast<unsigned>(std::stoul(value));
      else if (flag == "--duration") o.duration = std::stod(value);
      else if (flag == "--requests") o.requests = std::stoull(value);
      else if (flag == "--idle") o.idle = static_cast<unsigned>(std::stoul(value));
      else if (flag == "--hold") o.hold = std::stod(value);
      else if (flag == "--parallel") o.parallel = static_cast<unsigned>(std::stoul(value));
      else if (flag == "--handshakes") o.handshakes = std::stoull(value);
      else return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  if (o.port == 0 || o.sessions == 0 || o.parallel == 0) return false;
  if (o.mode != client_mode::direct && o.ca_file.empty()) return false;
  if (o.handshakes > 0) return o.idle == 0 && o.duration == 0 && o.requests == 0;
  return o.idle > 0 || o.duration > 0 || o.requests > 0;
}

}  // namespace
}  // namespace vncgate::bench

int main(int argc, char** argv) {
  using namespace vncgate::bench;
  client_options o;
  if (!parse(argc, argv, o)) {
    OPENSSL_cleanse(o.password.data(), o.password.size());
    return usage();
  }
  int status = 1;
  try {
    status = run_load(o);
  } catch (const std::exception& e) {
    std::cerr << "bench_client: " << e.what() << "\n";
  }
  OPENSSL_cleanse(o.password.data(), o.password.size());
  return status;
}
