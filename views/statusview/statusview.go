// Package statusview renders berth status: each app's live instances
// (host, state, readiness, spec, age, restarts) and the rollout in
// progress, as text for a person or as JSON for a pipeline.
package statusview

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/berth-sh/berth/views/rolloutview"
)

// Text writes the apps' status for a person; now dates the instances'
// ages. An app its provider could not read shows its error.
func Text(w io.Writer, apps []*core.AppStatus, color bool, now time.Time) {
	if len(apps) == 0 {
		fmt.Fprintln(w, "No app is recorded in the state.")
		return
	}
	for i, a := range apps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		appText(w, a, color, now)
	}
}

func appText(w io.Writer, a *core.AppStatus, color bool, now time.Time) {
	if a.Rollout == nil {
		fmt.Fprintln(w, ansi.Paint(color, ansi.Bold, a.Addr.String()+": cannot read its instances"))
	} else {
		rolloutview.Header(w, a.Rollout, color, now)
	}
	for _, d := range a.Diagnostics {
		code := ansi.Yellow
		if d.Severity == hcl.DiagError {
			code = ansi.Red
		}
		fmt.Fprintf(w, "  %s\n", ansi.Paint(color, code, strings.TrimSuffix(d.Summary+": "+d.Detail, ": ")))
	}
	if a.Rollout == nil {
		return
	}
	if len(a.Instances) == 0 {
		fmt.Fprintln(w, "  no instance runs")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  INSTANCE\tROLE\tHOST\tSTATE\tREADY\tVERSION\tAGE\tRESTARTS")
	for _, in := range a.Instances {
		ready := "no"
		if in.Ready {
			ready = "yes"
		}
		state := in.Status
		if in.Message != "" {
			state += " (" + in.Message + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", in.Name, in.Role, in.Host, state, ready, Version(in.ImageDigest, in.ConfigHash), Age(in.Started, now), in.Restarts)
	}
	tw.Flush()
	if next := a.Rollout.Next(); next != "" {
		fmt.Fprintf(w, "\n  %s\n", next)
	}
}

// Version is an instance's spec in short: the image digest's first 12
// hex digits and the config hash's first 8, "sha256:0123456789ab/cfg 89abcdef".
func Version(digest, hash string) string {
	if _, d, ok := strings.Cut(digest, "@"); ok {
		digest = d
	}
	if alg, hex, ok := strings.Cut(digest, ":"); ok && len(hex) > 12 {
		digest = alg + ":" + hex[:12]
	}
	if len(hash) > 8 {
		hash = hash[:8]
	}
	switch {
	case digest == "" && hash == "":
		return "-"
	case hash == "":
		return digest
	case digest == "":
		return "cfg " + hash
	}
	return digest + " cfg " + hash
}

// Age is how long ago started was, in the largest unit or two ("45s",
// "3m20s", "2h5m", "3d4h"); "-" when it is unknown.
func Age(started, now time.Time) string {
	if started.IsZero() {
		return "-"
	}
	d := max(now.Sub(started), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// document is the JSON shape of berth status (docs/json-output.md).
type document struct {
	FormatVersion string   `json:"format_version"`
	Apps          []appDoc `json:"apps"`
}

type appDoc struct {
	Address   string                   `json:"address"`
	Provider  string                   `json:"provider"`
	Instances []instanceDoc            `json:"instances"`
	Rollout   *rolloutview.Document    `json:"rollout,omitempty"`
	Diags     []diagnostics.Diagnostic `json:"diagnostics"`
}

type instanceDoc struct {
	Name        string            `json:"name"`
	Role        string            `json:"role"`
	Host        string            `json:"host"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Ready       bool              `json:"ready"`
	Message     string            `json:"message,omitempty"`
	ImageDigest string            `json:"image_digest"`
	ConfigHash  string            `json:"config_hash"`
	Started     *time.Time        `json:"started"`
	Restarts    int               `json:"restarts"`
	Addresses   map[string]string `json:"addresses"`
}

// JSON writes the apps' status as one JSON document.
func JSON(w io.Writer, apps []*core.AppStatus) error {
	d := document{FormatVersion: "1.0", Apps: []appDoc{}}
	for _, a := range apps {
		ad := appDoc{Address: a.Addr.String(), Provider: a.Provider, Instances: []instanceDoc{}, Diags: diagnostics.List(a.Diagnostics, nil)}
		if a.Rollout != nil {
			rd := rolloutview.NewDocument(a.Rollout)
			ad.Rollout = &rd
		}
		for _, in := range a.Instances {
			id := instanceDoc{Name: in.Name, Role: in.Role, Host: in.Host, ID: in.ID, Status: in.Status, Ready: in.Ready, Message: in.Message,
				ImageDigest: in.ImageDigest, ConfigHash: in.ConfigHash, Restarts: in.Restarts, Addresses: map[string]string{}}
			if !in.Started.IsZero() {
				t := in.Started.UTC()
				id.Started = &t
			}
			for name, addr := range in.Addresses {
				id.Addresses[name] = addr.String()
			}
			ad.Instances = append(ad.Instances, id)
		}
		d.Apps = append(d.Apps, ad)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
