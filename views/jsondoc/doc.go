// Package jsondoc builds the JSON documents of docs/json-output.md that
// berth prints whole: the plan (`plan -json`'s last line, `show -json
// PLAN`), the state (`show -json`), the outputs (`output -json`) and the
// drift report (`drift -json`). They have the shapes of Terraform's, so
// that tools written for Terraform's JSON read them.
//
// Sensitive values are never in a document except where a script asked
// for them (`output -json`): they are null, flagged in the *_sensitive
// fields; unknown values are null, flagged in after_unknown.
package jsondoc

// FormatVersion is the version of every JSON document berth prints
// (docs/json-output.md). A consumer may rely on fields of a major version
// never disappearing or changing meaning; new fields only bump the minor
// version.
const FormatVersion = "1.0"
