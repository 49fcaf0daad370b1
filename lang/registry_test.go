package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// Setting an app's registry or name, which berth fills in from the image
// and the block's label, is refused at the whole attribute with how to
// write what was meant.
func TestAppAttributesBerthFillsIn(t *testing.T) {
	const head = baseCluster + `registry "test" { address = "registry.test" }
variable "image" { default = "registry.test/shop/web:v2" }
`
	tests := []struct {
		name    string
		attrs   string // lines 11 and 12 of the app block
		summary string
		detail  string
		subject string // the source text the diagnostic points at
	}{
		{"registry with the image's host", `  image    = "registry.test/shop/web:v2"
  registry = registry.test`, "Registry set on an app",
			`image = "${registry.test.address}/shop/web:v2"`, "registry = registry.test"},
		{"registry with an image without a host", `  image    = "shop/web:v2"
  registry = registry.test`, "Registry set on an app",
			`image = "${registry.test.address}/shop/web:v2"`, "registry = registry.test"},
		{"registry with a registry host and port", `  image    = "localhost:5000/web:v2"
  registry = registry.test`, "Registry set on an app",
			`image = "${registry.test.address}/web:v2"`, "registry = registry.test"},
		{"registry with an image from a variable", `  image    = var.image
  registry = registry.test`, "Registry set on an app",
			"the host part of the image reference", "registry = registry.test"},
		{"name", `  image = "x"
  name  = "api"`, "Name set on an app", "the block's label", `name  = "api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + "app \"web\" {\n  cluster  = cluster.prod\n" + tt.attrs + "\n}\n"
			_, diags := loadValidate(t, src)
			var got *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					got = d
					break
				}
			}
			if got == nil {
				t.Fatalf("no error; want %q", tt.summary)
			}
			if got.Summary != tt.summary || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("error %q: %s\nwant %q containing %q", got.Summary, got.Detail, tt.summary, tt.detail)
			}
			if got.Subject == nil {
				t.Fatal("no subject")
			}
			if s := src[got.Subject.Start.Byte:got.Subject.End.Byte]; s != tt.subject {
				t.Errorf("subject %q, want %q", s, tt.subject)
			}
		})
	}
}
