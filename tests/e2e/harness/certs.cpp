#include "harness/certs.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include "harness/process.hpp"

namespace vncgate::e2e {

certs make_certs(const temp_dir& dir, const std::string& subdir) {
  std::filesystem::path where = dir.path() / subdir;
  std::filesystem::create_directories(where);
  certs out{where / "cert.pem", where / "key.pem"};
  // The SAN must name what clients dial: GnuTLS (libvncclient, vncviewer) checks it.
  auto r = run({.argv = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-days", "30", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                         "-keyout", out.private_key.string(), "-out", out.certificate.string()}},
               dir.path());
  if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
  ::chmod(out.private_key.c_str(), 0600);
  return out;
}

}  // namespace vncgate::e2e
