package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestJournalFile(t *testing.T) {
	ctx := context.Background()
	l := New(filepath.Join(t.TempDir(), "berth.state"))
	if _, found, err := l.GetJournal(ctx); found || err != nil {
		t.Fatalf("a new backend has a journal (found %v, err %v)", found, err)
	}
	for _, rec := range []string{"one\n", "two\n"} {
		if err := l.AppendJournal(ctx, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	data, found, err := l.GetJournal(ctx)
	if err != nil || !found || string(data) != "one\ntwo\n" {
		t.Fatalf("journal = %q (found %v, err %v)", data, found, err)
	}
	if fi, err := os.Stat(l.JournalPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode: %v %v", fi.Mode(), err)
	}
	if err := l.PutJournal(ctx, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := l.GetJournal(ctx); string(data) != "two\n" {
		t.Errorf("after PutJournal: %q", data)
	}
	// An append after a replacement goes to the new file, not to the
	// replaced one kept open.
	if err := l.AppendJournal(ctx, []byte("three\n")); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := l.GetJournal(ctx); string(data) != "two\nthree\n" {
		t.Errorf("append after PutJournal: %q", data)
	}
	if err := l.PutJournal(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.JournalPath()); !os.IsNotExist(err) {
		t.Errorf("an empty PutJournal left the file: %v", err)
	}
}
