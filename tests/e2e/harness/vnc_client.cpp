#include "harness/vnc_client.hpp"

#include "harness/loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <rfb/rfbclient.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace vncgate::e2e {
namespace {

std::mutex client_mutex;                       // libvncclient's log hooks are global
std::vector<std::string>* current_log = nullptr;
int state_tag;                                 // its address keys rfbClientSetClientData

void capture_log(const char* format, ...) {
  char line[4096];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (current_log) current_log->push_back(std::move(text));
}

struct client_state {
  const vnc_login* login = nullptr;
  long long covered = 0;
  bool frame_done = false;
  std::vector<std::uint8_t> framebuffer;  // ours, so libvncclient's cleanup leaks nothing
};

client_state& state_of(rfbClient* client) {
  return *static_cast<client_state*>(rfbClientGetClientData(client, &state_tag));
}

char* dup_or_null(const std::string& s) { return ::strdup(s.c_str()); }

// libvncclient free()s what these return, so they allocate with malloc/strdup.
char* get_password(rfbClient* client) { return dup_or_null(state_of(client).login->password); }

rfbCredential* get_credential(rfbClient* client, int type) {
  const vnc_login& login = *state_of(client).login;
  auto* credential = static_cast<rfbCredential*>(std::calloc(1, sizeof(rfbCredential)));
  if (!credential) return nullptr;
  if (type == rfbCredentialTypeUser) {
    credential->userCredential.username = dup_or_null(login.user);
    credential->userCredential.password = dup_or_null(login.password);
  } else if (type == rfbCredentialTypeX509) {
    credential->x509Credential.x509CACertFile = login.ca_file.empty() ? nullptr : dup_or_null(login.ca_file.string());
    credential->x509Credential.x509CrlVerifyMode = rfbX509CrlVerifyNone;
    if (!login.client_cert.empty()) {
      credential->x509Credential.x509ClientCertFile = dup_or_null(login.client_cert.string());
      credential->x509Credential.x509ClientKeyFile = dup_or_null(login.client_key.string());
    }
  }
  return credential;
}

rfbBool allocate_framebuffer(rfbClient* client) {
  auto& state = state_of(client);
  std::size_t size = static_cast<std::size_t>(client->width) * client->height * client->format.bitsPerPixel / 8;
  state.framebuffer.assign(size, 0);
  client->frameBuffer = state.framebuffer.data();
  return TRUE;
}

void got_rect(rfbClient* client, int, int, int w, int h) { state_of(client).covered += static_cast<long long>(w) * h; }

void finished_update(rfbClient* client) {
  auto& state = state_of(client);
  if (state.covered >= static_cast<long long>(client->width) * client->height) state.frame_done = true;
}

int dial(std::uint16_t port, const std::string& source_host, std::uint16_t& local_port, std::vector<std::string>& log) {
  std::string error;
  int fd = connect_loopback(port, source_host, local_port, error);
  if (fd < 0) {
    log.push_back("e2e: " + error);
    return -1;
  }
  // libvncclient's own dialer leaves the socket non-blocking; its read timeout relies on it.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

rfbClient* client_of(void* p) { return static_cast<rfbClient*>(p); }

}  // namespace

std::string vnc_session_result::failure_reason() const {
  static const std::string marker = "VNC connection failed: ";
  for (const auto& line : log)
    if (auto at = line.find(marker); at != std::string::npos) return line.substr(at + marker.size());
  return {};
}

std::string vnc_session_result::log_text() const {
  std::string text;
  for (const auto& line : log) text += line + "\n";
  return text;
}

std::array<std::uint8_t, 3> vnc_session_result::pixel(int x, int y) const {
  std::size_t at = (static_cast<std::size_t>(y) * width + x) * 3;
  if (at + 3 > rgb.size()) return {0, 0, 0};
  return {rgb[at], rgb[at + 1], rgb[at + 2]};
}

bool vnc_live::pointer(int x, int y, int buttons) {
  open_ = open_ && SendPointerEvent(client_of(client_), x, y, buttons);
  return open_;
}

bool vnc_live::key(std::uint32_t keysym, bool down) {
  open_ = open_ && SendKeyEvent(client_of(client_), keysym, down ? TRUE : FALSE);
  return open_;
}

bool vnc_live::cut_text(const std::string& latin1) {
  std::string copy = latin1;  // libvncclient takes a non-const char*
  open_ = open_ && SendClientCutText(client_of(client_), copy.data(), static_cast<int>(copy.size()));
  return open_;
}

bool vnc_live::serve(std::chrono::milliseconds duration) {
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + duration;
  while (open_ && std::chrono::steady_clock::now() < deadline) {
    int n = WaitForMessage(client_of(client_), 50000);
    if (n < 0 || (n > 0 && !HandleRFBServerMessage(client_of(client_)))) {
      open_ = false;
      closed_after_ =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    }
  }
  return open_;
}

bool vnc_live::wait_closed(std::chrono::milliseconds timeout) { return !serve(timeout); }

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

vnc_session_result vnc_connect(std::uint16_t port, const vnc_login& login, const vnc_client_options& options) {
  std::lock_guard lock(client_mutex);
  vnc_session_result result;
  current_log = &result.log;
  rfbClientLog = capture_log;
  rfbClientErr = capture_log;
  struct log_reset {
    ~log_reset() { current_log = nullptr; }
  } reset;

  result.local_host = options.source_host;
  int fd = dial(port, options.source_host, result.local_port, result.log);
  if (fd < 0) return result;

  client_state state;
  state.login = &login;
  rfbClient* client = rfbGetClient(8, 3, 4);  // 32 bpp, R in byte 0 on little endian
  rfbClientSetClientData(client, &state_tag, &state);
  client->GetPassword = get_password;
  client->GetCredential = get_credential;
  client->MallocFrameBuffer = allocate_framebuffer;
  client->GotFrameBufferUpdate = got_rect;
  client->FinishedFrameBufferUpdate = finished_update;
  client->appData.encodingsString = options.encodings.c_str();
  std::free(client->serverHost);  // rfbGetClient's strdup("")
  client->serverHost = ::strdup(options.host_name.c_str());
  client->serverPort = port;
  client->readTimeout = static_cast<unsigned int>(options.timeout.count());
  client->listenSpecified = TRUE;  // "already connected": use client->sock as is
  client->sock = fd;

  if (!rfbInitClient(client, nullptr, nullptr)) return result;  // it freed the client and closed fd
  auto cleanup = [](rfbClient* c) {
    c->frameBuffer = nullptr;  // the vector in `state` owns it
    rfbClientCleanup(c);
  };
  std::unique_ptr<rfbClient, decltype(cleanup)> owner(client, cleanup);  // also if a callback throws
  result.connected = true;
  result.security_type = static_cast<int>(client->authScheme);
  result.vencrypt_subtype = static_cast<int>(client->subAuthScheme);

  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (!state.frame_done && std::chrono::steady_clock::now() < deadline) {
    int n = WaitForMessage(client, 100000);
    if (n < 0 || (n > 0 && !HandleRFBServerMessage(client))) {
      result.log.push_back("e2e: connection lost before a full frame");
      break;
    }
  }
  result.full_frame = state.frame_done;
  result.width = client->width;
  result.height = client->height;
  result.desktop_name = client->desktopName ? client->desktopName : "";
  if (state.frame_done) {
    std::size_t pixels = static_cast<std::size_t>(client->width) * client->height;
    result.rgb.reserve(pixels * 3);
    for (std::size_t i = 0; i < pixels; ++i)
      result.rgb.insert(result.rgb.end(), &state.framebuffer[4 * i], &state.framebuffer[4 * i + 3]);
    result.rgb_sha256 = sha256_hex(result.rgb);
    if (options.while_connected) {
      vnc_live live(result, client);
      options.while_connected(live);
    }
  }
  return result;
}

}  // namespace vncgate::e2e
