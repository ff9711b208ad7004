#include "gateway/admin_server.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

#include "gateway/log.hpp"
#include "gateway/peer.hpp"
#include "gateway/thread_name.hpp"

namespace vncgate::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

using request = http::request<http::empty_body>;
using response = http::response<http::string_body>;

struct admin_server::request_context {
  const request& req;
  std::string source;     // "address:port" of the peer
  std::string_view path;  // the target without its query
  response res;
  std::string_view endpoint = "other";  // metrics label: a fixed word per route
};

namespace {

constexpr std::size_t request_limit = 8 * 1024;  // a request with ordinary headers fits many times over
constexpr std::size_t audited_path_limit = 200;
constexpr auto read_timeout = std::chrono::seconds(10);
constexpr std::string_view metrics_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view plain_type = "text/plain; charset=utf-8";
constexpr std::string_view json_type = "application/json";
constexpr std::string_view sessions_prefix = "/api/sessions/";

std::string sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest), size);
}

void set_text(response& res, http::status status, std::string_view body) {
  res.result(status);
  res.set(http::field::content_type, plain_type);
  res.body() = std::string(body) + "\n";
}

void set_json(response& res, http::status status, const json::value& body) {
  res.result(status);
  res.set(http::field::content_type, json_type);
  res.body() = json::serialize(body) + "\n";
}

void set_error(response& res, http::status status, std::string_view why) {
  set_json(res, status, json::object{{"error", why}});
}

bool method_not_allowed(response& res, http::verb method, http::verb allowed) {
  if (method == allowed) return false;
  res.set(http::field::allow, http::to_string(allowed));
  set_error(res, http::status::method_not_allowed, "method not allowed");
  return true;
}

// The bearer token of an Authorization header; nullopt without one. The scheme is
// case-insensitive (RFC 7235 §2.1).
std::optional<std::string_view> bearer_token(const request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view scheme = "bearer ";
  if (value.size() < scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i]) return std::nullopt;
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// Session ids are made by make_session_id: lower-case hex. Anything else names no session.
bool looks_like_session_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

admin_server::admin_server(metrics& m, audit_log& audit, admin_control& control)
    : metrics_(m), audit_(audit), control_(control) {}

admin_server::~admin_server() { stop(); }

void admin_server::set_token(const std::string& token) {
  std::string digest = token.empty() ? std::string() : sha256(token);
  std::lock_guard lock(token_mutex_);
  token_digest_.swap(digest);
  OPENSSL_cleanse(digest.data(), digest.size());
}

expected<bool, std::string> admin_server::start(const endpoint& where, std::size_t max_connections) {
  error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) return unexpected("metrics.address " + where.to_string() + ": not an IP address");
  tcp::endpoint ep(address, where.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unexpected("cannot listen on metrics.address " + where.to_string() + ": " + ec.message());
  port_ = acceptor->local_endpoint().port();
  max_connections_ = max_connections;
  acceptor_ = std::move(acceptor);
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
    if (e) log_error("the admin listener stopped with an exception");
  });
  thread_ = std::thread([this] { io_.run(); });
  name_thread(thread_, "vncgate-admin");
  log_info("admin listener (/metrics, /healthz, /readyz, /api/) on " + where.host + ":" + std::to_string(port_));
  return true;
}

void admin_server::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

awaitable<void> admin_server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_->async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) {
      log_error("admin listener: accept failed: " + ec.message() + "; retrying in 100 ms");
      co_await after(std::chrono::milliseconds(100));
      continue;
    }
    if (connections_ >= max_connections_) {
      metrics_.admin_connection_refused();
      continue;  // closed here: the socket goes out of scope
    }
    ++connections_;
    asio::co_spawn(io_, serve(std::move(socket)), [this](std::exception_ptr e) {
      --connections_;
      if (e) log_error("an admin connection ended with an exception");
    });
  }
}

template <class T, class Start>
awaitable<T> admin_server::ask(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(T)>(
      [this, start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([this, shared](T value) {
          asio::post(io_, [shared, value = std::move(value)]() mutable { (*shared)(std::move(value)); });
        });
      },
      asio::use_awaitable);
}

std::string admin_server::refuse_unauthorized(request_context& rc) {
  std::string digest;
  {
    std::lock_guard lock(token_mutex_);
    digest = token_digest_;
  }
  if (digest.empty()) {
    set_error(rc.res, http::status::forbidden, "the admin API is off: set metrics.admin_token_file");
    return "no_token_configured";
  }
  auto token = bearer_token(rc.req);
  std::string reason;
  if (!token || token->empty()) {
    reason = "missing_token";
  } else {
    std::string presented = sha256(*token);
    if (presented.size() != digest.size() || CRYPTO_memcmp(presented.data(), digest.data(), digest.size()) != 0)
      reason = "wrong_token";
  }
  if (!reason.empty()) {
    rc.res.set(http::field::www_authenticate, "Bearer realm=\"vncgate\"");
    set_error(rc.res, http::status::unauthorized, "unauthorized: send Authorization: Bearer <admin token>");
  }
  return reason;
}

awaitable<void> admin_server::answer_api(request_context& rc) {
  if (rc.path == "/api/sessions") rc.endpoint = "sessions";
  else if (rc.path.starts_with(sessions_prefix)) rc.endpoint = "session";
  else if (rc.path == "/api/reload") rc.endpoint = "reload";
  json::object record{{"event", "admin_request"},
                      {"source", rc.source},
                      {"method", std::string(http::to_string(rc.req.method()))},
                      {"path", std::string(rc.path.substr(0, audited_path_limit))}};
  std::string refused = refuse_unauthorized(rc);
  if (!refused.empty()) {
    record["result"] = "refused";
    record["reason"] = refused;
    record["status"] = rc.res.result_int();
    audit_.write(record);
    log_warning("admin API: refused " + std::string(http::to_string(rc.req.method())) + " " +
                std::string(rc.path.substr(0, audited_path_limit)) + " from " + rc.source + " (" + refused + ")");
    co_return;
  }

  std::string result = "ok";
  if (rc.endpoint == "sessions") {
    if (!method_not_allowed(rc.res, rc.req.method(), http::verb::get)) {
      auto sessions = co_await ask<json::array>([this](auto done) { control_.list_sessions(std::move(done)); });
      record["sessions"] = sessions.size();
      set_json(rc.res, http::status::ok, json::object{{"sessions", std::move(sessions)}});
    }
  } else if (rc.endpoint == "session") {
    std::string id(rc.path.substr(sessions_prefix.size()));
    const auto method = rc.req.method();
    if (method != http::verb::get && method != http::verb::delete_) {
      rc.res.set(http::field::allow, "GET, DELETE");
      set_error(rc.res, http::status::method_not_allowed, "method not allowed");
    } else if (!looks_like_session_id(id)) {
      set_error(rc.res, http::status::not_found, "no such session");
    } else if (method == http::verb::get) {
      auto sessions = co_await ask<json::array>([this](auto done) { control_.list_sessions(std::move(done)); });
      auto it = std::find_if(sessions.begin(), sessions.end(),
                             [&](const json::value& s) { return s.as_object().at("id").as_string() == id; });
      if (it == sessions.end()) set_error(rc.res, http::status::not_found, "no such session");
      else set_json(rc.res, http::status::ok, *it);
    } else {
      record["session"] = id;
      // Captures by reference only: GCC 12 destroys a temporary with a non-trivial
      // destructor (a captured string) twice when it is part of a co_await expression.
      bool found = co_await ask<bool>([this, &id](auto done) { control_.end_session(id, std::move(done)); });
      if (found) set_json(rc.res, http::status::ok, json::object{{"session", id}, {"ended", true}});
      else set_error(rc.res, http::status::not_found, "no such session");
    }
  } else if (rc.endpoint == "reload") {
    if (!method_not_allowed(rc.res, rc.req.method(), http::verb::post)) {
      std::string why = co_await ask<std::string>([this](auto done) { control_.reload(std::move(done)); });
      if (why.empty()) {
        set_json(rc.res, http::status::ok, json::object{{"result", "success"}});
      } else {
        record["reason"] = why;
        set_json(rc.res, http::status::unprocessable_entity, json::object{{"result", "failure"}, {"reason", why}});
      }
    }
  } else {
    set_error(rc.res, http::status::not_found, "not found");
  }
  const auto status = rc.res.result_int();
  if (status >= 400) result = status == 404 ? "not_found" : "failure";
  record["result"] = result;
  record["status"] = status;
  audit_.write(record);
}

awaitable<void> admin_server::serve(tcp::socket socket) {
  const std::string source = peer_text(socket);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(request_limit);
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(request_limit));
    stream.expires_after(read_timeout);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) break;  // closed, timed out, too large or not HTTP: nothing to answer
    const request& req = parser.get();
    request_context rc{req, source, {}, {}};
    rc.path = std::string_view(req.target().data(), req.target().size());
    rc.path = rc.path.substr(0, rc.path.find('?'));
    rc.res.version(req.version());
    rc.res.keep_alive(req.keep_alive());
    rc.res.set(http::field::server, "vncgate");
    if (rc.path.starts_with("/api/")) {
      co_await answer_api(rc);
    } else if (rc.path == "/metrics" || rc.path == "/healthz" || rc.path == "/readyz") {
      rc.endpoint = rc.path.substr(1);
      if (!method_not_allowed(rc.res, req.method(), http::verb::get)) {
        if (rc.path == "/metrics") {
          rc.res.result(http::status::ok);
          rc.res.set(http::field::content_type, metrics_type);
          rc.res.body() = metrics_.text();
        } else if (rc.path == "/healthz") {
          set_text(rc.res, http::status::ok, "ok");
        } else {
          set_text(rc.res, ready() ? http::status::ok : http::status::service_unavailable,
                   ready() ? "ready" : "not ready");
        }
      }
    } else {
      set_text(rc.res, http::status::not_found, "not found");
    }
    metrics_.admin_request(rc.endpoint, rc.res.result_int());
    rc.res.prepare_payload();
    stream.expires_after(read_timeout);
    auto [wec, wn] = co_await http::async_write(stream, rc.res, use_tuple);
    if (wec || !rc.res.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace vncgate::gateway
