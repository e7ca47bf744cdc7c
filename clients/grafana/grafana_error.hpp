#pragma once
// An HTTP error answered by Grafana: the status, Grafana's own `status` word
// (e.g. "version-mismatch", "name-exists"), its `messageId` (e.g.
// "password-auth.failed", "login-attempt.blocked", "auth.unauthorized") and its
// `message`, so callers can both branch on it and show users exactly what
// Grafana said.
#include <stdexcept>
#include <string>

namespace stackd::grafana {

class GrafanaError : public std::runtime_error {
 public:
  GrafanaError(std::string what, unsigned status, std::string status_word, std::string message,
               std::string message_id = "")
      : std::runtime_error(std::move(what)),
        status_(status),
        status_word_(std::move(status_word)),
        message_(std::move(message)),
        message_id_(std::move(message_id)) {}
  unsigned status() const { return status_; }
  const std::string& status_word() const { return status_word_; }  // Grafana's "status" field, often empty
  const std::string& grafana_message() const { return message_; }
  const std::string& message_id() const { return message_id_; }  // often empty

 private:
  unsigned status_;
  std::string status_word_;
  std::string message_;
  std::string message_id_;
};

}  // namespace stackd::grafana
