package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const varsConfig = `
variable "tag" {
  type    = string
  default = "default"
}
variable "replicas" {
  type    = number
  default = 1
  validation {
    condition     = var.replicas >= 1
    error_message = "At least one replica."
  }
}
variable "labels" {
  type    = map(string)
  default = {}
}
variable "password" {
  type      = string
  sensitive = true
  default   = "s"
}
variable "required" {
  type = string
}
variable "strict" {
  type     = string
  nullable = false
  default  = "x"
}
variable "untyped" {
  default = "u"
}
`

func TestCollectVariables(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		args    []VarArg
		env     []string
		want    map[string]cty.Value
		errs    []string // summaries of expected errors, in order
		warning string
	}{
		{
			name: "defaults",
			args: []VarArg{{"var", "required=r"}},
			want: map[string]cty.Value{"tag": cty.StringVal("default"), "replicas": cty.NumberIntVal(1), "untyped": cty.StringVal("u")},
		},
		{
			name: "environment over default",
			args: []VarArg{{"var", "required=r"}},
			env:  []string{"BERTH_VAR_tag=env", "BERTH_VAR_replicas=3", "HOME=/root"},
			want: map[string]cty.Value{"tag": cty.StringVal("env"), "replicas": cty.NumberIntVal(3)},
		},
		{
			name:  "auto vars over environment, later file wins",
			files: map[string]string{"a.auto.vars.hcl": `tag = "a"` + "\nreplicas = 4", "b.auto.vars.hcl": `tag = "b"`},
			args:  []VarArg{{"var", "required=r"}},
			env:   []string{"BERTH_VAR_tag=env"},
			want:  map[string]cty.Value{"tag": cty.StringVal("b"), "replicas": cty.NumberIntVal(4)},
		},
		{
			name:  "command line in order over files",
			files: map[string]string{"a.auto.vars.hcl": `tag = "a"`, "x.vars.hcl": "tag = \"file\"\nlabels = { a = \"b\" }"},
			args:  []VarArg{{"var", "tag=cli"}, {"var-file", "x.vars.hcl"}, {"var", "required=r"}, {"var", `labels={ c = "d" }`}},
			want: map[string]cty.Value{
				"tag":    cty.StringVal("file"),
				"labels": cty.MapVal(map[string]cty.Value{"c": cty.StringVal("d")}),
			},
		},
		{
			name: "string values are raw",
			args: []VarArg{{"var", "required=a=b \"c\""}, {"var", "untyped=[1]"}},
			want: map[string]cty.Value{"required": cty.StringVal(`a=b "c"`), "untyped": cty.StringVal("[1]")},
		},
		{
			name: "missing required",
			errs: []string{"No value for required variable"},
		},
		{
			name: "undeclared on the command line",
			args: []VarArg{{"var", "required=r"}, {"var", "tga=x"}},
			errs: []string{"Value for undeclared variable"},
		},
		{
			name: "undeclared in the environment is ignored",
			args: []VarArg{{"var", "required=r"}},
			env:  []string{"BERTH_VAR_tga=x"},
		},
		{
			name:    "undeclared in a file is a warning",
			files:   map[string]string{"a.auto.vars.hcl": `tga = 1`, "x.vars.hcl": `nope = 1`},
			args:    []VarArg{{"var", "required=r"}, {"var-file", "x.vars.hcl"}},
			warning: `Did you mean "tag"?`,
		},
		{
			name: "number from the environment",
			args: []VarArg{{"var", "required=r"}},
			env:  []string{"BERTH_VAR_replicas=abc"},
			errs: []string{"Invalid value for variable"},
			want: map[string]cty.Value{},
		},
		{
			name: "type conversion",
			args: []VarArg{{"var", "required=r"}, {"var", "replicas=many"}},
			errs: []string{"Invalid value for variable"},
		},
		{
			name: "validation",
			args: []VarArg{{"var", "required=r"}, {"var", "replicas=0"}},
			errs: []string{"Invalid value for variable"},
		},
		{
			name:  "not nullable",
			files: map[string]string{"a.auto.vars.hcl": `strict = null`},
			args:  []VarArg{{"var", "required=r"}},
			errs:  []string{"Invalid value for variable"},
		},
		{
			name: "bad -var",
			args: []VarArg{{"var", "required"}},
			errs: []string{"Invalid -var option", "No value for required variable"},
		},
		{
			name: "missing var file",
			args: []VarArg{{"var", "required=r"}, {"var-file", "nope.hcl"}},
			errs: []string{"Cannot read variable file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"main.berth.hcl": varsConfig}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := writeDir(t, files)
			cfg, diags := LoadDir(dir)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			vals, diags := CollectVariables(cfg, dir, tt.args, tt.env)
			var errs []string
			var warnings []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d.Summary)
				} else {
					warnings = append(warnings, d.Detail)
				}
			}
			if strings.Join(errs, "|") != strings.Join(tt.errs, "|") {
				t.Fatalf("errors %q, want %q (%s)", errs, tt.errs, diags.Error())
			}
			if tt.name == "number from the environment" && !strings.Contains(diags[0].Detail, "a number is required") {
				t.Errorf("detail %q", diags[0].Detail)
			}
			if tt.warning == "" && len(warnings) > 0 {
				t.Errorf("unexpected warnings %q", warnings)
			}
			if tt.warning != "" && (len(warnings) < 1 || !strings.Contains(warnings[0], tt.warning)) {
				t.Errorf("warnings %q, want one containing %q", warnings, tt.warning)
			}
			for name, want := range tt.want {
				if got := vals[name]; !got.RawEquals(want) {
					t.Errorf("%s = %#v, want %#v", name, got, want)
				}
			}
		})
	}
}

func TestCollectVariablesSensitive(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.berth.hcl": varsConfig})
	cfg, _ := LoadDir(dir)
	vals, diags := CollectVariables(cfg, dir, []VarArg{{"var", "required=r"}}, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !vals["password"].HasMark(Sensitive) {
		t.Error("sensitive variable is not marked")
	}
	if vals["tag"].IsMarked() {
		t.Error("non-sensitive variable is marked")
	}
}

func TestValidationErrorRange(t *testing.T) {
	dir := writeDir(t, map[string]string{"main.berth.hcl": varsConfig, "x.auto.vars.hcl": "\nreplicas = 0\n"})
	cfg, _ := LoadDir(dir)
	_, diags := CollectVariables(cfg, dir, []VarArg{{"var", "required=r"}}, nil)
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	d := diags[0]
	if !strings.Contains(d.Detail, "At least one replica.") {
		t.Errorf("detail %q lacks the error message", d.Detail)
	}
	if d.Subject == nil || !strings.HasSuffix(d.Subject.Filename, "x.auto.vars.hcl") || d.Subject.Start.Line != 2 {
		t.Errorf("subject %v, want the value in x.auto.vars.hcl line 2", d.Subject)
	}
}
