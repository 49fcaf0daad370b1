// Package jsondoc builds the JSON documents of docs/json-output.md that
// berth prints whole: the plan (`plan -json`'s last line, `show -json
// PLAN`), the state (`show -json`), the outputs (`output -json`) and the
// drift report (`drift -json`). They have the shapes of Terraform's, so
// that tools written for Terraform's JSON (github.com/hashicorp/terraform-json
// and the policy tools built on it) read them; berth's additions are
// extra fields.
//
// Sensitive values are never in a document except where a script asked
// for them (`output -json`): they are null, flagged in the *_sensitive
// fields; unknown values are null, flagged in after_unknown.
package jsondoc

// FormatVersion is the version of the JSON documents berth prints
// (docs/json-output.md) apart from the plan and the state, which are at
// ShowFormatVersion. A consumer may rely on fields of a major version
// never disappearing or changing meaning; new fields only bump the minor
// version.
const FormatVersion = "1.0"
