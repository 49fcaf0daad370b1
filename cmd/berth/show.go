package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
)

func init() {
	register(&Command{
		Name:     "show",
		Synopsis: "Show a saved plan, or the current state",
		Run:      runShow,
	})
}

// runShow renders a saved plan (berth plan -out) as plan does, or, with no
// argument, the objects and outputs recorded in the state.
func runShow(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("show")
	asJSON := fs.Bool("json", false, "machine-readable output (docs/json-output.md)")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: berth [-chdir=DIR] show [-json] [-no-color] [PLAN]\n\n"+
			"Shows a saved plan, or the current state when no PLAN is given.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *noColor {
		m.Color = false
	}
	switch fs.NArg() {
	case 0:
	case 1:
		path := fs.Arg(0)
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.Dir, path)
		}
		p, err := plans.ReadPlanFile(path)
		if err != nil {
			m.Errorf("reading the saved plan: %s", err)
			return exitError
		}
		if *asJSON {
			if err := writePlanJSON(m.Stdout, p); err != nil {
				m.Errorf("writing output: %s", err)
				return exitError
			}
			return exitOK
		}
		renderPlan(m.Stdout, p, m.Color)
		return exitOK
	default:
		m.Errorf("show takes at most one argument (a saved plan).")
		return exitError
	}

	b, ok := m.stateBackend(&stateFlags{})
	if !ok {
		return exitError
	}
	st, ok := m.readState(ctx, b)
	if !ok {
		return exitError
	}
	if *asJSON {
		doc := newJSONState(st)
		out, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			m.Errorf("encoding the state: %s", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(out))
		return exitOK
	}
	if st == nil || st.Empty() {
		fmt.Fprintln(m.Stdout, "The state is empty: berth manages no objects yet.")
		return exitOK
	}
	for _, r := range st.SortedResources() {
		for _, k := range r.SortedKeys() {
			addr := r.Addr.Instance(k)
			obj := r.Instances[k]
			fmt.Fprintf(m.Stdout, "# %s:\n", addr)
			lines := stateObjectLines(addr, obj.Value)
			for _, l := range lines {
				fmt.Fprintln(m.Stdout, l)
			}
			fmt.Fprintln(m.Stdout)
		}
	}
	if len(st.Outputs) > 0 {
		fmt.Fprintf(m.Stdout, "\nOutputs:\n\n")
		writeOutputsText(m.Stdout, st)
	}
	return exitOK
}

// stateObjectLines shows a recorded object as its block would be written,
// top-level attributes sorted, sensitive values hidden.
func stateObjectLines(addr addrs.Instance, v cty.Value) []string {
	lines := []string{blockHeader(addr) + " {"}
	uv, _ := v.Unmark()
	if !uv.IsNull() && uv.Type().IsObjectType() {
		attrs := uv.AsValueMap()
		names := make([]string, 0, len(attrs))
		width := 0
		for n := range attrs {
			names = append(names, n)
			width = max(width, len(n))
		}
		slices.Sort(names)
		for _, n := range names {
			av := attrs[n]
			if unmarkDeep(av).IsNull() {
				continue
			}
			shown := sensitivePlaceholder
			if !isSensitive(av) {
				shown = strings.ReplaceAll(formatValue(av), "\n", "\n    ")
			}
			lines = append(lines, fmt.Sprintf("    %-*s = %s", width, n, shown))
		}
	}
	return append(lines, "}")
}

// jsonState is `show -json` of the current state.
type jsonState struct {
	FormatVersion string             `json:"format_version"`
	BerthVersion  string             `json:"berth_version"`
	Serial        uint64             `json:"serial"`
	Lineage       string             `json:"lineage"`
	Resources     []jsonStateObject  `json:"resources"`
	Outputs       map[string]jsonOut `json:"outputs"`
}

type jsonStateObject struct {
	Address         string   `json:"address"`
	Mode            string   `json:"mode"`
	Type            string   `json:"type"`
	Name            string   `json:"name"`
	Index           any      `json:"index,omitempty"`
	Provider        string   `json:"provider"`
	Values          any      `json:"values"`
	SensitiveValues any      `json:"sensitive_values"`
	Status          string   `json:"status"`
	DependsOn       []string `json:"depends_on,omitempty"`
}

func newJSONState(st *state.State) jsonState {
	doc := jsonState{FormatVersion: jsonFormatVersion, BerthVersion: version.String(), Resources: []jsonStateObject{}, Outputs: map[string]jsonOut{}}
	if st == nil {
		return doc
	}
	doc.Serial, doc.Lineage = st.Serial, st.Lineage
	for _, r := range st.SortedResources() {
		for _, k := range r.SortedKeys() {
			obj := r.Instances[k]
			a := newJSONResourceAddr(r.Addr.Instance(k))
			mode := "managed"
			if r.Addr.Mode == addrs.Data {
				mode = "data"
			}
			val, _, sens := jsonValue(obj.Value)
			var deps []string
			for _, d := range obj.Dependencies {
				deps = append(deps, d.String())
			}
			doc.Resources = append(doc.Resources, jsonStateObject{Address: a.Addr, Mode: mode, Type: a.ResourceType, Name: a.ResourceName,
				Index: a.ResourceKey, Provider: r.Provider, Values: val, SensitiveValues: sens, Status: obj.Status.String(), DependsOn: deps})
		}
	}
	// Like `output -json`... but show never prints secrets.
	doc.Outputs = jsonOutputs(st, false)
	return doc
}
