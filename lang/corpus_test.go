package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateCorpus runs LoadDir and Validate on the shared validation
// corpus: valid_ cases must have no error, every other case at least one.
// (The exact diagnostics are compared by cmd/berth's golden tests.)
func TestValidateCorpus(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/validate/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			cfg, diags := LoadDir(dir)
			if !diags.HasErrors() {
				diags = append(diags, Validate(cfg)...)
			}
			if strings.HasPrefix(name, "valid_") {
				if diags.HasErrors() {
					t.Errorf("valid case has errors: %s", diags.Error())
				}
			} else if !diags.HasErrors() {
				t.Errorf("invalid case has no error")
			}
		})
	}
}
