#ifndef KETENHUB_SERVER_POLICY_ACCESS_POLICY_H_
#define KETENHUB_SERVER_POLICY_ACCESS_POLICY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ketenhub/v1/policy.pb.h"

namespace ketenhub {

// The hub's access rules: the partner registry and what each partner may do.
// Default deny: anything not granted is refused. Immutable after loading, so
// thread-safe; a reload builds a new AccessPolicy.
class AccessPolicy {
 public:
  // Parses and completely validates a text-format policy. Fails with
  // INVALID_ARGUMENT naming the line (parse errors) or the partner and field
  // (rule errors). `source_name` names the text in messages.
  static absl::StatusOr<std::unique_ptr<AccessPolicy>> FromText(
      absl::string_view text, absl::string_view source_name);

  // As FromText, reading `path`; FAILED_PRECONDITION when it cannot be read.
  static absl::StatusOr<std::unique_ptr<AccessPolicy>> FromFile(
      const std::string& path);

  AccessPolicy(const AccessPolicy&) = delete;
  AccessPolicy& operator=(const AccessPolicy&) = delete;

  // Returns the partner registered under `oin` (owned by this policy), or
  // UNAUTHENTICATED when the registry does not list it.
  absl::StatusOr<const v1::Partner*> PartnerForOin(absl::string_view oin) const;

  // OK when `partner` holds `role`; PERMISSION_DENIED naming the rule if not.
  absl::Status CheckRole(const v1::Partner& partner, v1::Role role) const;

  // Whether `partner` calling `operation` in `role` must name the natural
  // person acting: the policy's person_rules, and always for the four-eyes
  // operations on a person's whole file (subject_request, subject_approve,
  // subject_refuse, subject_requests, subject_export, subject_erase).
  bool PersonRequired(const v1::Partner& partner, v1::Role role,
                      absl::string_view operation) const;

  // OK when `partner` may submit signals of `category`; PERMISSION_DENIED
  // naming the rule if not.
  absl::Status CheckMaySubmit(const v1::Partner& partner,
                              v1::Category category) const;

  // The routes that carry `source`'s signals of `category` (owned by this
  // policy); empty when none does (default deny: delivered to no one).
  std::vector<const v1::Route*> RoutesFor(absl::string_view source,
                                          v1::Category category) const;

  // The route from `source` for `category` to `receiver`, or nullptr.
  const v1::Route* RouteTo(absl::string_view source, v1::Category category,
                           absl::string_view receiver) const;

  // How sections of `kind` travel on `route`; kinds without a rule: NEVER.
  static v1::ReleaseMode ReleaseModeFor(const v1::Route& route,
                                        v1::DataKind kind);

  // Days a signal of `category` stays matchable (active).
  uint32_t MatchWindowDays(v1::Category category) const;
  // Days after receipt when a signal of `category` is destroyed.
  uint32_t RetentionDays(v1::Category category) const;

  // The partner with `id`, or nullptr.
  const v1::Partner* PartnerById(absl::string_view id) const;

  // The processing activity that `operation` (see operations.h) belongs to,
  // or nullptr when the policy assigns it to none.
  const v1::ProcessingActivity* ActivityFor(absl::string_view operation) const;

  // The submit rate limit of `partner` (its own, else the policy's default;
  // per_second 0: none), with burst filled in.
  v1::RateLimit SubmitRate(const v1::Partner& partner) const;
  // How many Subscribe streams one partner may have open.
  uint32_t MaxStreamsPerPartner() const;

  // The role in which `partner` may read figures (ReportService): the first
  // of its roles the policy's report_roles name; PERMISSION_DENIED naming
  // the rule when none. (report_rules.cc)
  absl::StatusOr<v1::Role> ReportRoleOf(const v1::Partner& partner) const;
  // Counts from 1 to this minus 1 are suppressed (default 5).
  uint32_t ReportThreshold() const;

  // Four eyes (subject_request_rules.cc). The role in which a person of
  // `partner` with keten-user-role `user_role` may approve subject
  // requests: the first of the partner's roles in approver_roles;
  // PERMISSION_DENIED naming the rule when none, or when approver_user_roles
  // does not name `user_role`.
  absl::StatusOr<v1::Role> ApproverRoleOf(const v1::Partner& partner,
                                          absl::string_view user_role) const;
  // FAILED_PRECONDITION naming the rule when no one can approve.
  absl::Status CheckApproversNamed() const;
  // How long a request stays open (default 72 hours).
  absl::Duration SubjectRequestValidFor() const;

  // Lower-case hex SHA-256 of the policy file's bytes.
  const std::string& version() const { return version_; }
  // The policy file's text, as hashed into version(): no personal data, so
  // the audit trail keeps it (hub_start, reload_policy) for auditors.
  const std::string& text() const { return text_; }
  const v1::Policy& policy() const { return policy_; }

 private:
  AccessPolicy(v1::Policy policy, std::string text);

  const v1::Policy policy_;
  const std::string text_;
  const std::string version_;
  absl::flat_hash_map<std::string, const v1::Partner*> by_oin_;
  absl::flat_hash_map<std::string, const v1::Partner*> by_id_;
  absl::flat_hash_map<std::string, const v1::ProcessingActivity*> by_operation_;
};

}  // namespace ketenhub

#endif  // KETENHUB_SERVER_POLICY_ACCESS_POLICY_H_
