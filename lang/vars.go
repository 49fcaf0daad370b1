package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// VarArg is one -var or -var-file command-line option, kept in order
// because later options win.
type VarArg struct {
	// Kind is "var" (Value is "NAME=VALUE") or "var-file" (Value is a path,
	// relative to the configuration directory).
	Kind  string
	Value string
}

// EnvVarPrefix prefixes environment variables that set input variables.
const EnvVarPrefix = "BERTH_VAR_"

// AutoVarsSuffix is the suffix of variable files loaded automatically.
const AutoVarsSuffix = ".auto.vars.hcl"

// rawVar is a variable value before type conversion: either a string to
// parse according to the type (env, -var) or an expression (files).
type rawVar struct {
	str    *string
	expr   hcl.Expression
	rng    hcl.Range
	inFile bool
}

// CollectVariables computes the value of every declared variable, with
// Terraform's precedence (later wins): default < BERTH_VAR_<name> in
// environ < *.auto.vars.hcl files of dir in lexical order < -var and
// -var-file in command-line order. Values are converted to the declared
// type, checked against nullable and the validation blocks, and marked
// with Sensitive when the variable is sensitive.
//
// Values from the environment and -var are taken as raw strings for
// variables of a primitive type (string, number, bool; or without a type)
// and converted, and parsed as HCL expressions otherwise. A value for an
// undeclared variable is an error from -var, a warning from a file and
// ignored from the environment (which is shared), as in Terraform.
func CollectVariables(cfg *Config, dir string, args []VarArg, environ []string) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	raws := map[string]rawVar{}

	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvVarPrefix) {
			continue
		}
		name := strings.TrimPrefix(k, EnvVarPrefix)
		if cfg.Variables[name] == nil {
			// As in Terraform: the environment is shared by every
			// configuration, so a value for another one is no mistake.
			continue
		}
		s := v
		raws[name] = rawVar{str: &s, rng: hcl.Range{Filename: "<environment variable " + k + ">", Start: hcl.InitialPos, End: hcl.InitialPos}}
	}

	autoFiles, _ := filepath.Glob(filepath.Join(dir, "*"+AutoVarsSuffix))
	sort.Strings(autoFiles)
	parser := hclparse.NewParser()
	for _, fn := range autoFiles {
		diags = diags.Extend(readVarFile(cfg, parser, fn, raws))
	}

	for _, a := range args {
		switch a.Kind {
		case "var":
			name, val, ok := strings.Cut(a.Value, "=")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid -var option",
					Detail:   fmt.Sprintf("The option -var=%q is not of the form NAME=VALUE.", a.Value),
				})
				continue
			}
			if cfg.Variables[name] == nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Value for undeclared variable",
					Detail:   fmt.Sprintf("A variable named %q was given on the command line, but it is not declared. Declare it with a variable block.%s", name, didYouMean(name, sortedKeys(cfg.Variables))),
				})
				continue
			}
			s := val
			raws[name] = rawVar{str: &s, rng: hcl.Range{Filename: "<value for var." + name + ">", Start: hcl.InitialPos, End: hcl.InitialPos}}
		case "var-file":
			p := a.Value
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if _, err := os.Stat(p); err != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cannot read variable file",
					Detail:   fmt.Sprintf("The file %s given with -var-file cannot be read: %s.", a.Value, err),
				})
				continue
			}
			diags = diags.Extend(readVarFile(cfg, parser, p, raws))
		default:
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable option", Detail: fmt.Sprintf("Unknown kind %q.", a.Kind)})
		}
	}

	out := map[string]cty.Value{}
	funcs := Functions(dir)
	for _, name := range sortedKeys(cfg.Variables) {
		v := cfg.Variables[name]
		raw, given := raws[name]
		if !given {
			if v.Required() {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "No value for required variable",
					Detail:   fmt.Sprintf("The variable %q has no default, so a value must be given with -var, -var-file, a *%s file or %s%s.", name, AutoVarsSuffix, EnvVarPrefix, name),
					Subject:  v.DeclRange.Ptr(),
				})
				out[name] = cty.UnknownVal(v.Type)
				continue
			}
			val := v.Default
			out[name] = markVar(v, val)
			diags = diags.Extend(checkVariableValue(v, out[name], v.DeclRange, funcs, false))
			continue
		}
		val, d := raw.value(v)
		diags = diags.Extend(hideSensitiveSource(v, raw, d))
		if d.HasErrors() {
			out[name] = cty.UnknownVal(v.Type)
			continue
		}
		out[name] = markVar(v, val)
		diags = diags.Extend(hideSensitiveSource(v, raw, checkVariableValue(v, out[name], raw.rng, funcs, raw.inFile)))
	}
	sortDiagnostics(diags)
	return out, diags
}

func markVar(v *Variable, val cty.Value) cty.Value {
	if v.Sensitive {
		return val.Mark(Sensitive)
	}
	return val
}

func readVarFile(cfg *Config, parser *hclparse.Parser, fn string, raws map[string]rawVar) hcl.Diagnostics {
	f, diags := parseFile(parser, fn, strings.HasSuffix(fn, ".json"))
	if diags.HasErrors() || f == nil {
		return diags
	}
	cfg.Files[fn] = f
	attrs, d := f.Body.JustAttributes()
	diags = diags.Extend(d)
	for _, name := range sortedAttrs(attrs) {
		attr := attrs[name]
		if cfg.Variables[name] == nil {
			// A warning, as in Terraform: variable files are often shared
			// between configurations.
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The file sets a variable %q, which is not declared, so the value is ignored. Declare it with a variable block, or remove it.%s", name, didYouMean(name, sortedKeys(cfg.Variables))),
				Subject:  attr.NameRange.Ptr(),
			})
			continue
		}
		raws[name] = rawVar{expr: attr.Expr, rng: attr.Expr.Range(), inFile: true}
	}
	return diags
}

// value parses and converts a raw value to the variable's type.
func (r rawVar) value(v *Variable) (cty.Value, hcl.Diagnostics) {
	var val cty.Value
	var diags hcl.Diagnostics
	switch {
	case r.str != nil && (v.ConstraintType.IsPrimitiveType() || v.ConstraintType == cty.DynamicPseudoType):
		// As in Terraform, a value for a string, number or bool is taken
		// as a string and converted: BERTH_VAR_n=abc for a number is "a
		// number is required", not an expression error.
		val = cty.StringVal(*r.str)
	case r.str != nil:
		// Values of other types are HCL expressions: 3, true, ["a"], {a=1}.
		d := checkNesting([]byte(*r.str), r.rng.Filename, hcl.InitialPos, false, false)
		var expr hclsyntax.Expression
		if !d.HasErrors() {
			expr, d = hclsyntax.ParseExpression([]byte(*r.str), r.rng.Filename, hcl.InitialPos)
		}
		if !d.HasErrors() {
			val, d = expr.Value(nil)
		}
		if d.HasErrors() {
			return cty.NilVal, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail: fmt.Sprintf("The value %s given for variable %q is not a valid expression of type %s: %s",
					shown(markVar(v, cty.StringVal(*r.str))), v.Name, v.ConstraintType.FriendlyName(), redactIf(v.Sensitive, d[0].Detail)),
				Subject: r.rng.Ptr(),
			}}
		}
	default:
		var d hcl.Diagnostics
		val, d = r.expr.Value(nil)
		diags = diags.Extend(d)
	}
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if v.TypeDefaults != nil && !val.IsNull() {
		val = v.TypeDefaults.Apply(val)
	}
	cv, err := convert.Convert(val, v.ConstraintType)
	if err != nil {
		return cty.NilVal, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value given for variable %q is not suitable: %s.", v.Name, redactedConvertError(err, markVar(v, val))),
			Subject:  r.rng.Ptr(),
			Context:  v.DeclRange.Ptr(),
		})
	}
	if cv.IsNull() && v.Default != cty.NilVal && v.Nullable {
		// As in Terraform, an explicit null for a nullable variable is null,
		// not the default.
		return cv, diags
	}
	if cv.IsNull() && !v.Nullable {
		return cty.NilVal, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The variable %q is not nullable (nullable = false), so it cannot be set to null.", v.Name),
			Subject:  r.rng.Ptr(),
			Context:  v.DeclRange.Ptr(),
		})
	}
	return cv, diags
}

// redactIf returns msg, or a placeholder when it is about a sensitive
// value.
func redactIf(sensitive bool, msg string) string {
	if sensitive {
		return "(not shown: the variable is sensitive)"
	}
	return msg
}

// checkVariableValue runs the validation blocks of v against val. The
// diagnostic points at the value when it came from a file and at the
// validation's condition otherwise.
func checkVariableValue(v *Variable, val cty.Value, valueRange hcl.Range, funcs map[string]function.Function, valueInFile bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{RefVar: cty.ObjectVal(map[string]cty.Value{v.Name: val})},
		Functions: funcs,
	}
	for _, vv := range v.Validations {
		cond, d := vv.Condition.Value(ctx)
		diags = diags.Extend(d)
		if d.HasErrors() {
			continue
		}
		cond, _ = cond.Unmark()
		cc, err := convert.Convert(cond, cty.Bool)
		if err != nil || cc.IsNull() {
			diags = diags.Append(&hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Invalid variable validation condition",
				Detail:      "The condition must be true or false.",
				Subject:     vv.Condition.Range().Ptr(),
				Expression:  vv.Condition,
				EvalContext: ctx,
			})
			continue
		}
		if !cc.IsKnown() || cc.True() {
			continue
		}
		msg, d := vv.ErrorMessage.Value(ctx)
		diags = diags.Extend(d)
		detail := "The value is not valid."
		if !d.HasErrors() {
			if ms, err := convert.Convert(msg, cty.String); err == nil && ms.IsKnown() && !ms.IsNull() {
				if ms.IsMarked() {
					detail = "The error message refers to a sensitive value and is not shown."
				} else {
					detail = ms.AsString()
				}
			}
		}
		subject := vv.Condition.Range()
		if valueInFile {
			subject = valueRange
		}
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", detail, vv.DeclRange),
			Subject:  subject.Ptr(),
			Context:  vv.DeclRange.Ptr(),
		})
	}
	return diags
}

// hideSensitiveSource keeps the source of a sensitive variable's value in
// a variables file out of diagnostics: a snippet of that line would show
// the secret. The location stays, as text.
func hideSensitiveSource(v *Variable, raw rawVar, diags hcl.Diagnostics) hcl.Diagnostics {
	if !v.Sensitive || !raw.inFile {
		return diags
	}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != raw.rng.Filename {
			continue
		}
		loc := fmt.Sprintf("%s:%d", d.Subject.Filename, d.Subject.Start.Line)
		d.Subject, d.Context, d.Expression, d.EvalContext = nil, nil, nil, nil
		d.Detail = strings.TrimSpace(d.Detail + " (at " + loc + "; the source is not shown: the variable is sensitive)")
	}
	return diags
}
