// Package rolloutview renders berth rollout status: a rollout's phase,
// its instances by role and the weights its load balancers forward by,
// as text for a person or as JSON for a pipeline.
package rolloutview

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/views/ansi"
)

// Text writes s for a person; now dates the canary's age.
func Text(w io.Writer, s *core.RolloutStatus, color bool, now time.Time) {
	Header(w, s, color, now)
	if len(s.Instances) > 0 {
		fmt.Fprintln(w, "\n  Instances:")
		for _, in := range s.Instances {
			ready := "not ready"
			if in.Ready {
				ready = "ready"
			}
			fmt.Fprintf(w, "    %-12s %-7s %-10s %-9s host %s%s\n", in.Name, in.Role, in.Status, ready, in.Host, addresses(in.Instance))
		}
	}
	if len(s.Routers) > 0 {
		fmt.Fprintln(w, "\n  Traffic (as last recorded):")
		for _, r := range s.Routers {
			ports := make([]string, 0, len(r.Listeners))
			for p := range r.Listeners {
				ports = append(ports, p)
			}
			slices.Sort(ports)
			if len(ports) == 0 {
				fmt.Fprintf(w, "    %s: no listener forwards to a target group\n", r.Addr)
			}
			for _, p := range ports {
				fmt.Fprintf(w, "    %s listener %s: %s\n", r.Addr, p, weights(r.Listeners[p]))
			}
		}
	}
	if next := s.Next(); next != "" {
		fmt.Fprintf(w, "\n%s\n", next)
	}
}

// Header writes the status's summary line, the canary in progress and
// the recorded spec: what berth status shows of an app's rollout above
// its instances.
func Header(w io.Writer, s *core.RolloutStatus, color bool, now time.Time) {
	fmt.Fprintln(w, ansi.Paint(color, ansi.Bold, s.Summary()))
	if c := s.Canary; c != nil {
		fmt.Fprintf(w, "  canary since %s (%s ago), spec %s\n", c.Started.Format(time.RFC3339), now.Sub(c.Started).Round(time.Second), spec(c.ImageDigest, c.ConfigHash))
	}
	fmt.Fprintf(w, "  recorded spec %s\n", spec(s.ImageDigest, s.ConfigHash))
}

func spec(digest, hash string) string {
	parts := []string{}
	if digest != "" {
		parts = append(parts, "image "+digest)
	}
	if hash != "" {
		parts = append(parts, "config "+hash)
	}
	if len(parts) == 0 {
		return "(unknown)"
	}
	return strings.Join(parts, ", ")
}

func addresses(in app.Instance) string {
	var out []string
	for name, a := range in.Addresses {
		out = append(out, name+"="+a.String())
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return ", " + strings.Join(out, " ")
}

// weights is "web 90%, web (canary) 10%", by group name.
func weights(w map[string]int) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s %d%%", n, w[n]))
	}
	return strings.Join(out, ", ")
}

// Document is the JSON shape of a rollout status (docs/json-output.md),
// also the "rollout" of each app in berth status -json.
type Document struct {
	FormatVersion string        `json:"format_version"`
	Address       string        `json:"address"`
	Phase         string        `json:"phase"`
	ImageDigest   string        `json:"image_digest,omitempty"`
	ConfigHash    string        `json:"config_hash,omitempty"`
	Canary        *canaryDoc    `json:"canary,omitempty"`
	Instances     []instanceDoc `json:"instances"`
	Routers       []routerDoc   `json:"routers"`
	Next          string        `json:"next,omitempty"`
}

type canaryDoc struct {
	Instances   []string  `json:"instances"`
	Weight      int       `json:"weight"`
	ImageDigest string    `json:"image_digest,omitempty"`
	ConfigHash  string    `json:"config_hash,omitempty"`
	Started     time.Time `json:"started"`
}

type instanceDoc struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Host   string `json:"host"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
}

type routerDoc struct {
	Address   string                    `json:"address"`
	Listeners map[string]map[string]int `json:"listeners"`
}

// JSON writes s as one JSON document.
func JSON(w io.Writer, s *core.RolloutStatus) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewDocument(s))
}

// NewDocument is s in its JSON shape.
func NewDocument(s *core.RolloutStatus) Document {
	d := Document{FormatVersion: "1.0", Address: s.Addr.String(), Phase: s.Phase, ImageDigest: s.ImageDigest, ConfigHash: s.ConfigHash,
		Instances: []instanceDoc{}, Routers: []routerDoc{}, Next: s.Next()}
	if c := s.Canary; c != nil {
		d.Canary = &canaryDoc{Instances: c.Instances, Weight: c.Weight, ImageDigest: c.ImageDigest, ConfigHash: c.ConfigHash, Started: c.Started}
	}
	for _, in := range s.Instances {
		d.Instances = append(d.Instances, instanceDoc{Name: in.Name, Role: in.Role, Host: in.Host, ID: in.ID, Status: in.Status, Ready: in.Ready})
	}
	for _, r := range s.Routers {
		d.Routers = append(d.Routers, routerDoc{Address: r.Addr.String(), Listeners: r.Listeners})
	}
	return d
}
