package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The guides' runnable blocks (docs/getting-started.md, docs/ci.md).
//
// A fenced block whose info string holds the word `runnable` is run by
// TestDocsGuides (docs_e2e_test.go, -tags integration) against the Docker
// test environment, in order, each doc's blocks in one working directory:
//
//	```sh runnable            bash -e -o pipefail runs it; it must exit 0
//	```sh runnable exit=2     ... it must exit 2
//	```hcl runnable file=F    its text is written to the file F
//
// Each command block runs in its own bash, so a block must not rely on a
// `cd` or an `export` of another (a reader pastes them one by one, too).
// The guides are written for the reader's own hosts and registry; before
// running, docsSubstitutions replaces those example names by the test
// environment's. TestDocsBlocks checks all of this without the test
// environment, so that a guide edited wrongly fails `make unit` already.

// docGuides are the guides whose runnable blocks TestDocsGuides runs, in
// order, in one working directory: ci.md goes on from where
// getting-started.md ends.
var docGuides = []string{"getting-started.md", "ci.md"}

// docsDir is the docs directory, from this package's directory.
const docsDir = "../../docs"

// docBlock is one runnable block of a guide.
type docBlock struct {
	// File and Line say where the block is (its opening fence).
	File string
	Line int
	// Lang is the info string's first word (sh, hcl, ...).
	Lang string
	// WriteTo is the file= of a block whose text is written, not run.
	WriteTo string
	// Exit is the exit status a command block must end with.
	Exit int
	Text string
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// readDocBlocks returns the runnable blocks of a markdown file, in order.
// A marker it does not know is an error: a typo must not turn a block into
// one that is silently not run.
func readDocBlocks(path string) ([]docBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		blocks []docBlock
		cur    *docBlock
		fence  string
		text   strings.Builder
		line   int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line++
		l := sc.Text()
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			info := strings.Fields(strings.TrimLeft(trimmed, "`~"))
			if len(info) < 2 || info[1] != "runnable" {
				cur = nil
				continue
			}
			b := docBlock{File: filepath.Base(path), Line: line, Lang: info[0]}
			for _, kv := range info[2:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "exit":
					if b.Exit, err = strconv.Atoi(v); err != nil {
						return nil, fmt.Errorf("%s: bad exit=%q", b, v)
					}
				case "file":
					b.WriteTo = v
				default:
					return nil, fmt.Errorf("%s: unknown marker %q (runnable blocks take exit=N or file=NAME)", b, kv)
				}
			}
			if b.WriteTo == "" && b.Lang != "sh" {
				return nil, fmt.Errorf("%s: a runnable %s block needs file=NAME; only sh blocks are run", b, b.Lang)
			}
			cur = &b
			text.Reset()
		case fence != "" && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "":
			fence = ""
			if cur != nil {
				cur.Text = text.String()
				blocks = append(blocks, *cur)
				cur = nil
			}
		case cur != nil:
			text.WriteString(l)
			text.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if fence != "" {
		return nil, fmt.Errorf("%s: a fenced block is not closed", path)
	}
	return blocks, nil
}

// docsSubstitutions are the replacements, in order, that turn the guides'
// example site into the test environment: edge-1 and edge-2 are reached
// through the TLS endpoints tls1 and tls2 (host:port), the registry is
// registry with its user. Every name replaced must appear in the guides,
// and none of the example site's may remain (TestDocsBlocks).
func docsSubstitutions(tls1, tls2, registry, user string) []string {
	return []string{
		"tcp://10.0.0.11:2376", "tcp://" + tls1,
		"tcp://10.0.0.12:2376", "tcp://" + tls2,
		// The hosts' addresses in their certificates.
		"10.0.0.11", "127.0.0.1",
		"10.0.0.12", "127.0.0.1",
		"harbor.example.com", registry,
		"robot$deploy", user,
	}
}

// exampleSite are fragments of the example site that no runnable block
// may still hold after the substitutions.
var exampleSite = []string{"10.0.0.", "harbor.example.com", "robot$"}

// substitute applies docsSubstitutions' pairs to s.
func substitute(s string, pairs []string) string {
	return strings.NewReplacer(pairs...).Replace(s)
}

// TestDocsBlocks checks the guides' runnable blocks without running them:
// every marker is known, every guide has command blocks, every
// substitution finds its text, and none of the example site remains.
func TestDocsBlocks(t *testing.T) {
	pairs := docsSubstitutions("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:5055", "berth")
	used := make([]bool, len(pairs)/2)
	for _, g := range docGuides {
		blocks, err := readDocBlocks(filepath.Join(docsDir, g))
		if err != nil {
			t.Fatal(err)
		}
		commands := 0
		for _, b := range blocks {
			if b.WriteTo == "" {
				commands++
			}
			for i := 0; i < len(pairs); i += 2 {
				if strings.Contains(b.Text, pairs[i]) {
					used[i/2] = true
				}
			}
			got := substitute(b.Text, pairs)
			for _, s := range exampleSite {
				if strings.Contains(got, s) {
					t.Errorf("%s: %q is still there after the substitutions: add it to docsSubstitutions", b, s)
				}
			}
		}
		if commands == 0 {
			t.Errorf("%s has no runnable command block", g)
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("docsSubstitutions: %q is in no runnable block; remove it", pairs[2*i])
		}
	}
}

// TestReadDocBlocks checks the markers on a small document.
func TestReadDocBlocks(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []docBlock
		err       string
	}{
		{"plain blocks are not run", "```sh\nberth plan\n```\n", nil, ""},
		{"a command", "text\n```sh runnable\nberth plan\n```\n",
			[]docBlock{{File: "g.md", Line: 2, Lang: "sh", Text: "berth plan\n"}}, ""},
		{"an exit status and a file", "```sh runnable exit=2\nberth drift\n```\n~~~hcl runnable file=a.hcl\nx = 1\n```\n~~~\n",
			[]docBlock{{File: "g.md", Line: 1, Lang: "sh", Exit: 2, Text: "berth drift\n"}, {File: "g.md", Line: 4, Lang: "hcl", WriteTo: "a.hcl", Text: "x = 1\n```\n"}}, ""},
		{"an unknown marker", "```sh runnable exits=2\n```\n", nil, `g.md:1: unknown marker "exits=2"`},
		{"a bad exit status", "```sh runnable exit=two\n```\n", nil, `g.md:1: bad exit="two"`},
		{"an hcl block to run", "```hcl runnable\n```\n", nil, "needs file=NAME"},
		{"an unclosed fence", "```sh runnable\nberth plan\n", nil, "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "g.md")
			if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readDocBlocks(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("blocks %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("block %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
