package statemgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
)

// backupBackend is memBackend with backups (backend.Backups), counting
// the backup writes, and able to fail them.
type backupBackend struct {
	memBackend
	bmu           sync.Mutex
	backups       map[string][]byte
	backupPuts    int
	failBackupPut error
}

var _ backend.Backups = (*backupBackend)(nil)

func (b *backupBackend) BackupLocation(name string) string {
	if name == "" {
		return "mem://state.backup"
	}
	return "mem://state.backup." + name
}

func (b *backupBackend) GetBackup(ctx context.Context, name string) ([]byte, bool, error) {
	b.bmu.Lock()
	defer b.bmu.Unlock()
	data, ok := b.backups[name]
	return bytes.Clone(data), ok, nil
}

func (b *backupBackend) PutBackup(ctx context.Context, name string, data []byte) error {
	b.bmu.Lock()
	defer b.bmu.Unlock()
	if b.failBackupPut != nil {
		return b.failBackupPut
	}
	if b.backups == nil {
		b.backups = map[string][]byte{}
	}
	b.backups[name] = bytes.Clone(data)
	b.backupPuts++
	return nil
}

// stateFile encodes a state of lineage at serial holding n objects.
func stateFile(t *testing.T, lineage string, serial uint64, n int) []byte {
	t.Helper()
	s := state.New()
	s.Lineage, s.Serial = lineage, serial
	for i := range n {
		setID(t, s, fmt.Sprintf("app.o%d", i), fmt.Sprint(i))
	}
	data, err := statefile.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBackupOncePerRun: a run's backup is the state its first read found,
// written at its first write and never again in that run; it never
// replaces a backup of another lineage or one that cannot be read.
func TestBackupOncePerRun(t *testing.T) {
	ctx := context.Background()
	const (
		lineA = "aaaaaaaa-0000-4000-8000-000000000001" // the lost state's
		lineB = "bbbbbbbb-0000-4000-8000-000000000002" // the stored state's
		lineC = "bbbbbbbb-0000-4000-8000-000000000003" // another with B's prefix
	)
	type foreign struct {
		lineage, stateLineage, beside string
		unreadable                    bool
	}
	tests := []struct {
		name    string
		state   string            // the stored state's lineage; "" for none
		backups map[string]string // name: the lineage of what it holds, "?" for garbage
		writes  int
		// between changes the stored state after the first read (another
		// berth, with -lock=false).
		between bool
		// want: name: "start" (the state the run found) or "kept" (as it
		// was); a name not listed must not exist.
		want        map[string]string
		wantPuts    int
		wantForeign *foreign
	}{
		{name: "state, no backup", state: lineB, writes: 3,
			want: map[string]string{"": "start"}, wantPuts: 1},
		{name: "state, its older backup", state: lineB, backups: map[string]string{"": lineB}, writes: 3,
			want: map[string]string{"": "start"}, wantPuts: 1},
		{name: "state, a read-only run", state: lineB, backups: map[string]string{"": lineB}, writes: 0,
			want: map[string]string{"": "kept"}},
		{name: "state changed by another after the first read", state: lineB, writes: 2, between: true,
			want: map[string]string{"": "start"}, wantPuts: 1},
		{name: "no state, no backup", writes: 3,
			want: map[string]string{}},
		{name: "no state, a backup of another lineage", backups: map[string]string{"": lineA}, writes: 3,
			want:        map[string]string{"": "kept"},
			wantForeign: &foreign{lineage: lineA}},
		{name: "no state, a backup that cannot be read", backups: map[string]string{"": "?"}, writes: 2,
			want:        map[string]string{"": "kept"},
			wantForeign: &foreign{unreadable: true}},
		{name: "state, a backup of another lineage", state: lineB, backups: map[string]string{"": lineA}, writes: 3,
			want: map[string]string{"": "kept", "bbbbbbbb": "start"}, wantPuts: 1,
			wantForeign: &foreign{lineage: lineA, stateLineage: lineB, beside: "mem://state.backup.bbbbbbbb"}},
		{name: "state, a backup of another lineage, a read-only run", state: lineB, backups: map[string]string{"": lineA},
			want:        map[string]string{"": "kept"},
			wantForeign: &foreign{lineage: lineA, stateLineage: lineB, beside: "mem://state.backup.bbbbbbbb"}},
		{name: "state, a backup of another lineage, its own beside it", state: lineB, backups: map[string]string{"": lineA, "bbbbbbbb": lineB}, writes: 2,
			want: map[string]string{"": "kept", "bbbbbbbb": "start"}, wantPuts: 1,
			wantForeign: &foreign{lineage: lineA, stateLineage: lineB, beside: "mem://state.backup.bbbbbbbb"}},
		{name: "state, both places taken by other lineages", state: lineB, backups: map[string]string{"": lineA, "bbbbbbbb": lineC}, writes: 2,
			want:        map[string]string{"": "kept", "bbbbbbbb": "kept"},
			wantForeign: &foreign{lineage: lineA, stateLineage: lineB}},
		{name: "state, the place beside cannot be read", state: lineB, backups: map[string]string{"": lineA, "bbbbbbbb": "?"}, writes: 2,
			want:        map[string]string{"": "kept", "bbbbbbbb": "kept"},
			wantForeign: &foreign{lineage: lineA, stateLineage: lineB}},
		{name: "state, a backup that cannot be read", state: lineB, backups: map[string]string{"": "?"}, writes: 2,
			want: map[string]string{"": "kept", "bbbbbbbb": "start"}, wantPuts: 1,
			wantForeign: &foreign{unreadable: true, stateLineage: lineB, beside: "mem://state.backup.bbbbbbbb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backupBackend{backups: map[string][]byte{}}
			var start []byte
			if tt.state != "" {
				start = stateFile(t, tt.state, 5, 1)
				b.data, b.found = start, true
			}
			initial := map[string][]byte{}
			for name, lineage := range tt.backups {
				data := []byte("PK\x03\x04 not a state")
				if lineage != "?" {
					data = stateFile(t, lineage, 2, 3)
				}
				b.backups[name], initial[name] = data, data
			}

			m := New(b)
			s, err := m.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil {
				s = state.New()
			}
			if tt.between {
				b.mu.Lock()
				b.data = stateFile(t, tt.state, 6, 2)
				b.mu.Unlock()
			}
			for i := range tt.writes {
				setID(t, s, fmt.Sprintf("app.w%d", i), "w")
				if err := m.Write(ctx, s); err != nil {
					t.Fatalf("write %d: %v", i+1, err)
				}
			}

			got := map[string]string{}
			for name, data := range b.backups {
				switch {
				case bytes.Equal(data, initial[name]):
					got[name] = "kept"
				case bytes.Equal(data, start):
					got[name] = "start"
				default:
					got[name] = "other:\n" + string(data)
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("backups = %v, want %v", got, tt.want)
			}
			if b.backupPuts != tt.wantPuts {
				t.Errorf("%d backup writes, want %d", b.backupPuts, tt.wantPuts)
			}

			f := m.ForeignBackup()
			if (f == nil) != (tt.wantForeign == nil) {
				t.Fatalf("ForeignBackup() = %+v, want %+v", f, tt.wantForeign)
			}
			if f == nil {
				return
			}
			w := tt.wantForeign
			if f.Lineage != w.lineage || f.StateLineage != w.stateLineage || f.Beside != w.beside || (f.Err != nil) != w.unreadable ||
				f.Location != "mem://state.backup" || f.State != "mem://state" {
				t.Errorf("ForeignBackup() = %+v, want %+v", f, w)
			}
			// The warning says where the stranger is and how to restore it.
			mustContain(t, f.Detail(), "mem://state.backup", "cp mem://state.backup mem://state", "never writes over")
			wantSummary := map[bool]string{true: "A backup exists, but no state", false: "The state's backup belongs to another state"}[w.stateLineage == ""]
			if w.unreadable && w.stateLineage != "" {
				wantSummary = "The state's backup cannot be read"
			}
			if f.Summary() != wantSummary {
				t.Errorf("Summary() = %q, want %q", f.Summary(), wantSummary)
			}
			if w.beside != "" {
				mustContain(t, f.Detail(), "go to "+w.beside)
			}
		})
	}
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not contain %q", got, w)
		}
	}
}

// TestBackupFailureWritesNoState: a backup that cannot be written stops
// the write (the state before it would otherwise have no copy), and the
// next write tries again.
func TestBackupFailureWritesNoState(t *testing.T) {
	ctx := context.Background()
	start := stateFile(t, "l1", 3, 1)
	b := &backupBackend{memBackend: memBackend{data: start, found: true}, failBackupPut: errors.New("disk full")}
	m := New(b)
	s, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	setID(t, s, "app.x", "x")
	if err := m.Write(ctx, s); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Write with a failing backup = %v", err)
	}
	if b.putCount() != 0 {
		t.Fatal("the state was written without its backup")
	}
	b.failBackupPut = nil
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	setID(t, s, "app.y", "y")
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.backups[""], start) || b.backupPuts != 1 || b.putCount() != 2 {
		t.Errorf("%d backup writes, %d state writes; backup is the start: %v", b.backupPuts, b.putCount(), bytes.Equal(b.backups[""], start))
	}
}

func TestBesideName(t *testing.T) {
	for lineage, want := range map[string]string{
		"8a0c1f0e-7b2d-4c1e-9f00-123456789abc": "8a0c1f0e",
		"abc":                                  "abc",
		"abcdefghijkl":                         "abcdefgh",
		"ab/../x":                              "ab",
	} {
		if got := besideName(lineage); got != want {
			t.Errorf("besideName(%q) = %q, want %q", lineage, got, want)
		}
	}
	// A lineage with nothing usable is hashed, never used as a name.
	for _, lineage := range []string{"../../etc", "-", "é"} {
		got := besideName(lineage)
		if len(got) != 8 || strings.Trim(got, "0123456789abcdef") != "" {
			t.Errorf("besideName(%q) = %q, want 8 hex digits", lineage, got)
		}
	}
}
