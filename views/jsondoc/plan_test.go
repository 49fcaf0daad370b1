package jsondoc

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/views/internal/viewtest"
)

// TestPlan compares the JSON document of a plan with a golden file
// (go test ./views/jsondoc -update rewrites it), and checks it is valid
// JSON on one line for plan -json.
func TestPlan(t *testing.T) {
	p := viewtest.FullPlan()
	p.Changes = append(p.Changes, viewtest.BigRolloutChange())
	p.Changes[len(p.Changes)-1].Addr = viewtest.Inst("app", "web", addrs.IntKey(1))
	p.Recovered = viewtest.Recoveries()
	doc, err := json.MarshalIndent(NewPlan(p), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	viewtest.CheckNoSecret(t, string(doc))
	golden.Check(t, filepath.Join("testdata", "plan_full.golden"), append(doc, '\n'))

	var line bytes.Buffer
	if err := WritePlan(&line, p); err != nil {
		t.Fatal(err)
	}
	if strings.Count(line.String(), "\n") != 1 {
		t.Errorf("plan -json line has %d newlines", strings.Count(line.String(), "\n"))
	}
	var v map[string]any
	if err := json.Unmarshal(line.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v["format_version"] != "1.0" {
		t.Errorf("format_version %v", v["format_version"])
	}
}
