package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/install"
)

func init() {
	register(&Command{
		Name:     "providers",
		Synopsis: "Show the providers required, locked and installed",
		Run:      runProviders,
	})
}

// runProviders prints, as a tree like `terraform providers`, what the
// configuration requires, what berth.lock.hcl locks and what the plugin
// directories hold, and flags every combination that would stop a
// provider from launching. It exits 1 when a required provider would not
// launch, so CI can run it as a check; a locked provider that is no longer
// required is only reported.
func runProviders(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("providers")
	var pluginDirs stringsFlag
	fs.Var(&pluginDirs, "plugin-dir", "search `DIR` for provider plugins (repeatable; default: those of the last init)")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] providers [-plugin-dir=DIR]... [-no-color]\n\n"+
			"Shows the providers the configuration requires, the versions locked in\n"+
			"%s and the versions installed in the plugin directories, and marks\n"+
			"what needs \"berth init\". Exit status 1 when a required provider would\n"+
			"not launch.\n\nOptions:\n", install.LockFileName)
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if fs.NArg() > 0 {
		m.Errorf("providers takes no arguments; use berth -chdir=%s providers.", fs.Arg(0))
		return 1
	}

	cfg, reqs, lock, files, diags := m.loadRequirements()
	m.showDiagnostics(diags, files)
	if diags.HasErrors() {
		return 1
	}
	dirs, err := m.pluginSearchDirs(pluginDirs)
	if err != nil {
		m.Errorf("finding the plugin directories: %s", err)
		return 1
	}
	statuses, err := install.Check(ctx, reqs, dirs, lock)
	if err != nil {
		m.Errorf("scanning the plugin directories: %s", err)
		return 1
	}

	var required, unrequired []treeNode
	broken := 0
	for _, st := range statuses {
		n := providerNode(m, st)
		if st.Requirement == nil {
			unrequired = append(unrequired, n)
			continue
		}
		if len(st.Problems) > 0 {
			broken++
		}
		required = append(required, n)
	}
	// Built-in providers the configuration uses without declaring them
	// (an app on a docker cluster needs no required_providers entry).
	declared := map[string]bool{}
	for _, r := range reqs {
		declared[r.LocalName] = true
	}
	for _, name := range usedProviders(cfg) {
		switch _, ok := builtin.Lookup(name); {
		case declared[name]:
		case ok:
			required = append(required, treeNode{label: name + " (built-in)"})
		default:
			broken++
			required = append(required, treeNode{label: name, children: []treeNode{{label: sgr(m, "1;31", "problem:") + " neither built in nor declared in the berth block's required_providers"}}})
		}
	}
	fmt.Fprintln(m.Stdout, "Providers required by configuration:")
	fmt.Fprintln(m.Stdout, ".")
	printTree(m.Stdout, required, "")
	if len(required) == 0 {
		fmt.Fprintln(m.Stdout, "(none)")
	}
	if len(unrequired) > 0 {
		fmt.Fprintln(m.Stdout, "\nProviders locked but no longer required:")
		printTree(m.Stdout, unrequired, "")
	}
	fmt.Fprintf(m.Stdout, "\nPlugin directories searched: %s\n", displayDirs(dirs))
	if broken > 0 {
		m.Errorf("%d required provider(s) would not launch; see the problems marked above.", broken)
		return 1
	}
	return 0
}

type treeNode struct {
	label    string
	children []treeNode
}

func providerNode(m *Meta, st install.Status) treeNode {
	var n treeNode
	if r := st.Requirement; r != nil {
		n.label = r.LocalName + ": " + st.Source.String()
		if r.LocalName == st.Source.String() {
			n.label = st.Source.String()
		}
		switch {
		case st.Source.IsBuiltin():
			n.label += " (built-in)"
		case len(r.Constraints) > 0:
			n.label += " " + install.FormatConstraints(r.Constraints)
		default:
			n.label += " (any version)"
		}
	} else {
		n.label = st.Source.String()
	}
	if st.Source.IsBuiltin() {
		return n
	}
	if l := st.Locked; l != nil {
		n.children = append(n.children, treeNode{label: fmt.Sprintf("locked: %s (%s)", l.Version, strings.Join(l.Hashes, ", "))})
	} else {
		n.children = append(n.children, treeNode{label: "locked: none"})
	}
	if len(st.Installed) == 0 {
		n.children = append(n.children, treeNode{label: "installed: none"})
	}
	for _, in := range st.Installed {
		n.children = append(n.children, treeNode{label: fmt.Sprintf("installed: %s at %s", in.Version, displayPath(in.Path))})
	}
	for _, p := range st.Problems {
		n.children = append(n.children, treeNode{label: sgr(m, "1;31", "problem:") + " " + p})
	}
	return n
}

// printTree draws nodes with box-drawing branches under prefix.
func printTree(w io.Writer, nodes []treeNode, prefix string) {
	for i, n := range nodes {
		branch, indent := "├── ", "│   "
		if i == len(nodes)-1 {
			branch, indent = "└── ", "    "
		}
		fmt.Fprintln(w, prefix+branch+n.label)
		printTree(w, n.children, prefix+indent)
	}
}

func displayDirs(dirs []string) string {
	if len(dirs) == 0 {
		return "none"
	}
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = displayPath(d)
	}
	return strings.Join(out, ", ")
}

// usedProviders lists, sorted, the local names of the providers the
// configuration's blocks are managed or read by.
func usedProviders(cfg *lang.Config) []string {
	seen := map[string]bool{}
	var out []string
	if cfg == nil {
		return nil
	}
	for _, r := range cfg.Resources {
		if r.ProviderName != "" && !seen[r.ProviderName] {
			seen[r.ProviderName] = true
			out = append(out, r.ProviderName)
		}
	}
	slices.Sort(out)
	return out
}
