package main

import (
	"context"
	"fmt"
	"os"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&Command{
		Name:     "validate",
		Synopsis: "Check whether the configuration is valid",
		Run:      runValidate,
	})
}

// runValidate loads the configuration in m.Dir and checks it: syntax,
// schemas, types, references and the domain rules. It reads nothing but
// the configuration files, so it needs no `berth init`, no state and no
// network, and can run in any CI job or editor hook.
func runValidate(_ context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("validate")
	asJSON := fs.Bool("json", false, "print the result as JSON (docs/json-output.md)")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	fs.BoolVar(&m.CompactWarnings, "compact-warnings", false, "show warnings as one line each (their summaries); errors stay in full")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] validate [-json] [-no-color] [-compact-warnings]\n\n"+
			"Checks the configuration in the working directory (every *.berth.hcl and\n"+
			"*.berth.json file) and prints every problem found. Exit status 0 when the\n"+
			"configuration is valid (warnings allowed), 1 otherwise.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if fs.NArg() > 0 {
		// Terraform's deprecated DIR argument is not carried over: one way
		// to name the directory (-chdir) keeps every command consistent.
		m.Errorf("validate takes no arguments; use berth -chdir=%s validate.", fs.Arg(0))
		return 1
	}

	diags, files := validateDir(m.Dir)

	if *asJSON {
		if err := diagnostics.WriteDocument(m.Stdout, diags, files); err != nil {
			m.Errorf("writing output: %s", err)
			return 1
		}
	} else {
		m.showDiagnostics(diags, files)
		if !diags.HasErrors() {
			success := "Success!"
			if m.Color {
				success = "\x1b[1;32mSuccess!\x1b[0m"
			}
			if len(diags) == 0 {
				fmt.Fprintf(m.Stdout, "%s The configuration is valid.\n", success)
			} else {
				fmt.Fprintf(m.Stdout, "%s The configuration is valid, but there were some validation warnings as shown above.\n", success)
			}
		}
	}
	if diags.HasErrors() {
		return 1
	}
	return 0
}

// validateDir loads and validates the configuration in dir, returning every
// diagnostic and the parsed files for snippets.
//
// When loading fails (syntax errors, unknown or duplicate blocks) the
// configuration is incomplete, and validating it would bury the real
// problem under follow-on errors (references to the blocks of a file that
// did not parse), so validation stops there, as in Terraform.
func validateDir(dir string) (hcl.Diagnostics, map[string]*hcl.File) {
	cfg, diags := lang.LoadDir(dir)
	if cfg == nil {
		return diags, nil
	}
	if !diags.HasErrors() {
		diags = append(diags, lang.Validate(cfg)...)
		// The encryption block as the commands will use it, with
		// BERTH_ENCRYPTION; its keys are not evaluated.
		_, d := lang.ResolveEncryption(cfg, os.Environ())
		diags = append(diags, d...)
	}
	return diags, cfg.Files
}
