// The person a rights request or an audit query is about, from ketenctl's
// flags: --bsn, --name with --birth-date, or one weak identifier (--phone,
// --email, --alias, --address, --advert).
#ifndef KETENHUB_TOOLS_KETENCTL_KETENCTL_SUBJECT_H_
#define KETENHUB_TOOLS_KETENCTL_KETENCTL_SUBJECT_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "ketenhub/v1/signal.pb.h"

namespace ketenhub {

class SubjectOptions {
 public:
  // Adds the flags to `command`.
  void Register(CLI::App* command);
  // The subject the flags give; nullopt when none was given;
  // INVALID_ARGUMENT saying what to give when they do not make one.
  absl::StatusOr<std::optional<v1::Subject>> Subject() const;

 private:
  std::string bsn_, name_, birth_date_, phone_, email_, alias_, address_,
      advert_;
};

}  // namespace ketenhub

#endif  // KETENHUB_TOOLS_KETENCTL_KETENCTL_SUBJECT_H_
