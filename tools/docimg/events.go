package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// event is one line of berth apply -json (docs/json-output.md, "Streamed
// messages"): the fields the pictures use.
type event struct {
	Time time.Time `json:"@timestamp"`
	Type string    `json:"type"`
	Hook struct {
		Action        string `json:"action"`
		Kind          string `json:"kind"`
		Message       string `json:"message"`
		Instance      string `json:"instance"`
		Wave          int    `json:"wave"`
		Waves         int    `json:"waves"`
		WaveInstances []struct {
			Name string `json:"name"`
			Host string `json:"host"`
		} `json:"wave_instances"`
	} `json:"hook"`
}

// readEvents reads a JSON-lines file of berth apply -json.
func readEvents(path string) ([]event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var events []event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		events = append(events, e)
	}
	return events, sc.Err()
}

// containerRE finds the container id in an instance event's message
// ("web-1 started on edge-1 (container 8977270e2fe8)"): the events say
// which instance, and only the message which of its containers.
var containerRE = regexp.MustCompile(`\(container ([0-9a-f]+)\)`)

// segment is one container of an instance during an apply, in seconds
// from the apply's start.
type segment struct {
	Container string
	// Old containers ran before the apply; Start is then 0.
	Old bool
	// Start, Ready (0: never) and End (the apply's end when not removed).
	Start, Ready, End float64
	// Failed: reported not ready (instance_unhealthy).
	Failed bool
}

// band is a rollout wave, or the revert, in seconds from the apply's start.
type band struct {
	Label      string
	Start, End float64
}

// apply is what a picture shows of one apply: its instances' containers,
// its waves, and where each instance runs.
type apply struct {
	Duration  float64
	Instances []string              // sorted by instance number
	Hosts     map[string]string     // instance -> host
	Segments  map[string][]*segment // instance -> containers, by start
	Waves     []band
	Revert    *float64
	WaveOf    map[string]int // instance -> its wave in the rollout
	Create    bool
	Failed    bool
}

// analyze turns an apply's events into its containers, waves and revert.
func analyze(events []event) (*apply, error) {
	a := &apply{Hosts: map[string]string{}, Segments: map[string][]*segment{}, WaveOf: map[string]int{}}
	var t0 time.Time
	at := func(e event) float64 { return e.Time.Sub(t0).Seconds() }
	byContainer := map[string]*segment{}
	seg := func(inst, id string) *segment {
		if s := byContainer[id]; s != nil {
			return s
		}
		s := &segment{Container: id, Old: true, End: -1}
		byContainer[id] = s
		a.Segments[inst] = append(a.Segments[inst], s)
		return s
	}
	// latest is the newest container started for each instance: the one
	// its ready and not-ready events are about.
	latest := map[string]*segment{}
	for _, e := range events {
		switch e.Type {
		case "apply_start":
			t0 = e.Time
			a.Create = e.Hook.Action == "create"
			continue
		case "version":
			continue
		}
		if t0.IsZero() {
			return nil, fmt.Errorf("a %s event before apply_start", e.Type)
		}
		switch e.Type {
		case "wave_start":
			a.Waves = append(a.Waves, band{Label: fmt.Sprintf("wave %d/%d", e.Hook.Wave, e.Hook.Waves), Start: at(e), End: -1})
			for _, m := range e.Hook.WaveInstances {
				a.Hosts[m.Name] = m.Host
				a.WaveOf[m.Name] = e.Hook.Wave
			}
		case "wave_complete":
			a.Waves[len(a.Waves)-1].End = at(e)
		case "revert":
			r := at(e)
			a.Revert = &r
			if n := len(a.Waves); n > 0 && a.Waves[n-1].End < 0 {
				a.Waves[n-1].End = r
			}
		case "apply_complete", "apply_errored":
			a.Duration = at(e)
			a.Failed = e.Type == "apply_errored"
		case "provider_event":
			inst := e.Hook.Instance
			if inst == "" {
				continue
			}
			if _, ok := a.Hosts[inst]; !ok {
				if h := hostOf(e.Hook.Message, inst); h != "" {
					a.Hosts[inst] = h
				}
			}
			switch e.Hook.Kind {
			case "instance_started":
				m := containerRE.FindStringSubmatch(e.Hook.Message)
				if m == nil {
					return nil, fmt.Errorf("no container in %q", e.Hook.Message)
				}
				s := seg(inst, m[1])
				s.Old, s.Start = false, at(e)
				latest[inst] = s
			case "instance_healthy":
				if s := latest[inst]; s != nil {
					s.Ready = at(e)
				}
			case "instance_unhealthy":
				if s := latest[inst]; s != nil {
					s.Failed = true
				}
			case "instance_stopped":
				m := containerRE.FindStringSubmatch(e.Hook.Message)
				if m == nil {
					return nil, fmt.Errorf("no container in %q", e.Hook.Message)
				}
				seg(inst, m[1]).End = at(e)
			}
		}
	}
	if a.Duration == 0 {
		return nil, fmt.Errorf("no apply_complete or apply_errored event")
	}
	for _, ss := range a.Segments {
		for _, s := range ss {
			if s.End < 0 {
				s.End = a.Duration
			}
		}
	}
	for _, w := range a.Waves {
		if w.End < 0 {
			return nil, fmt.Errorf("%s never ends", w.Label)
		}
	}
	return a, nil
}

// complete gives the apply a row for every instance of hosts (instance ->
// host, from another apply of the same app), in instance order. An
// instance whose old container no event names ran it all along, unless
// the apply created the app.
func (a *apply) complete(hosts map[string]string) {
	for inst, h := range hosts {
		if _, ok := a.Hosts[inst]; !ok {
			a.Hosts[inst] = h
		}
	}
	a.Instances = a.Instances[:0]
	for inst := range a.Hosts {
		if !a.Create && !hasOld(a.Segments[inst]) {
			a.Segments[inst] = append([]*segment{{Old: true, End: a.Duration}}, a.Segments[inst]...)
		}
		a.Instances = append(a.Instances, inst)
	}
	slices.SortFunc(a.Instances, func(x, y string) int { return instanceNumber(x) - instanceNumber(y) })
}

// hasOld says whether an instance's containers include one from before.
func hasOld(ss []*segment) bool {
	return slices.ContainsFunc(ss, func(s *segment) bool { return s.Old })
}

// hostOf reads the host from an instance event's message: "web-1 started
// on edge-1 (...)", "web-1 ready on edge-1", "web-1 on edge-1: ...".
func hostOf(message, inst string) string {
	rest, ok := strings.CutPrefix(message, inst+" ")
	if !ok {
		return ""
	}
	_, after, ok := strings.Cut(" "+rest, " on ")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(after, " ")
	return strings.TrimSuffix(host, ":")
}

// instanceNumber is n of an instance named app-n.
func instanceNumber(name string) int {
	i := strings.LastIndexByte(name, '-')
	n, _ := strconv.Atoi(name[i+1:])
	return n
}
