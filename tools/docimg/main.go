// Command docimg draws the documentation's pictures of a real rollout,
// docs/img/rollout-timeline.svg and docs/img/placement.svg, from the
// berth apply -json streams that capture.sh recorded on the Docker test
// environment (docs/img/data). It writes plain SVG text, with no
// dependency. `make docs` runs it from the repository's root:
//
//	go run ./tools/docimg
//
// and its test fails when the committed pictures are not what it draws.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// The recorded applies, in the order of the guide.
const (
	createFile   = "create.jsonl"
	rolloutFile  = "rollout.jsonl"
	failedFile   = "failed-rollout.jsonl"
	timelineFile = "rollout-timeline.svg"
	placeFile    = "placement.svg"
)

func main() {
	data := flag.String("data", "docs/img/data", "the directory of the recorded `apply -json` streams")
	out := flag.String("out", "docs/img", "where to write the pictures")
	flag.Parse()
	pictures, err := draw(*data)
	if err == nil {
		for name, b := range pictures {
			if err = os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "docimg:", err)
		os.Exit(1)
	}
}

// draw reads the recorded applies in dir and returns the pictures by file
// name.
func draw(dir string) (map[string][]byte, error) {
	var applies []*apply
	for _, f := range []string{createFile, rolloutFile, failedFile} {
		events, err := readEvents(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		a, err := analyze(events)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		applies = append(applies, a)
	}
	create, rollout, failed := applies[0], applies[1], applies[2]
	// The rollout names every instance with its host; the other applies
	// show the same rows.
	for _, a := range applies {
		a.complete(rollout.Hosts)
	}
	return map[string][]byte{
		timelineFile: timeline([]panel{
			{"Create: every instance starts at once, each gated on its readiness probe", create},
			{"Rollout to a new version: waves of 1, 2 and 3 instances, old containers removed wave by wave", rollout},
			{"Rollout to a version that never gets ready: wave 1 fails, the revert removes its new container", failed},
		}),
		placeFile: placement("app.web", rollout),
	}, nil
}
