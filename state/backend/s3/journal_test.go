package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/state/backend"
)

// journalOf reads b's journal, failing the test on an error.
func journalOf(t *testing.T, b *S3) (string, bool) {
	t.Helper()
	data, found, err := b.GetJournal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return string(data), found
}

// journalKeys lists the objects under b's journal prefix.
func journalKeys(t *testing.T, b *S3) []string {
	t.Helper()
	keys, err := b.listKeys(context.Background(), b.journalPrefix())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestJournal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	b := openTest(t, c, backend.DefaultWorkspace)
	if data, found := journalOf(t, b); found || data != "" {
		t.Fatalf("a fresh journal: %q, %v", data, found)
	}
	for _, rec := range []string{"one\n", "two\n", "three\n"} {
		if err := b.AppendJournal(ctx, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	// Another berth reads what was appended.
	if data, found := journalOf(t, openTest(t, c, backend.DefaultWorkspace)); !found || data != "one\ntwo\nthree\n" {
		t.Errorf("after three appends: %q, %v", data, found)
	}
	if n := len(journalKeys(t, b)); n != 3 {
		t.Errorf("%d journal objects after three appends, want 3", n)
	}
	// Another workspace's journal is its own.
	if data, found := journalOf(t, openTest(t, c, "other")); found {
		t.Errorf("workspace other has a journal: %q", data)
	}
	if err := b.PutJournal(ctx, []byte("kept\n")); err != nil {
		t.Fatal(err)
	}
	if keys := journalKeys(t, b); len(keys) != 1 || !strings.HasSuffix(keys[0], ".base") {
		t.Errorf("after a replacement the journal's objects are %q, want one base", keys)
	}
	if err := b.AppendJournal(ctx, []byte("after\n")); err != nil {
		t.Fatal(err)
	}
	// A berth that opened the backend before goes on after the base.
	late := openTest(t, c, backend.DefaultWorkspace)
	if err := late.AppendJournal(ctx, []byte("late\n")); err != nil {
		t.Fatal(err)
	}
	if data, found := journalOf(t, b); !found || data != "kept\nafter\nlate\n" {
		t.Errorf("after a replacement and appends: %q, %v", data, found)
	}
	if err := b.PutJournal(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if data, found := journalOf(t, b); found || data != "" {
		t.Errorf("after an empty replacement: %q, %v", data, found)
	}
	if keys := journalKeys(t, b); len(keys) != 0 {
		t.Errorf("an empty replacement left %q", keys)
	}
	if err := b.PutJournal(ctx, nil); err != nil {
		t.Errorf("emptying an empty journal: %v", err)
	}
}

// TestJournalInterruptedReplacement: a replacement cut short after its
// base was written, before the objects it replaced were deleted, has
// replaced the journal all the same; an emptying cut short before its
// empty base was deleted leaves no journal. The next replacement removes
// the leftovers.
func TestJournalInterruptedReplacement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	b := openTest(t, c, backend.DefaultWorkspace)
	put := func(seq uint64, base bool, data string) {
		t.Helper()
		putRaw(t, c, b.journalKey(seq, base), []byte(data))
	}
	for _, tt := range []struct {
		name    string
		objects func()
		want    string
	}{
		{"records only", func() { put(1, false, "a\n"); put(2, false, "b\n") }, "a\nb\n"},
		{"base after records", func() { put(1, false, "a\n"); put(2, false, "b\n"); put(3, true, "b\n") }, "b\n"},
		{"records after a base", func() { put(1, false, "a\n"); put(2, true, "kept\n"); put(3, false, "c\n") }, "kept\nc\n"},
		{"two bases", func() { put(1, true, "old\n"); put(2, false, "x\n"); put(3, true, "new\n"); put(4, false, "y\n") }, "new\ny\n"},
		{"empty base last", func() { put(1, false, "a\n"); put(2, true, "") }, ""},
		{"numbers past 9", func() { put(9, false, "9\n"); put(10, false, "10\n"); put(100, false, "100\n") }, "9\n10\n100\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.deleteKeys(ctx, journalKeys(t, b)); err != nil {
				t.Fatal(err)
			}
			tt.objects()
			// Objects that are not the journal's are ignored.
			putRaw(t, c, b.journalPrefix()+"notes.txt", []byte("not a record\n"))
			r := openTest(t, c, backend.DefaultWorkspace)
			if data, found := journalOf(t, r); data != tt.want || found != (tt.want != "") {
				t.Errorf("journal %q, found %v; want %q", data, found, tt.want)
			}
			if err := r.AppendJournal(ctx, []byte("z\n")); err != nil {
				t.Fatal(err)
			}
			if data, _ := journalOf(t, openTest(t, c, backend.DefaultWorkspace)); data != tt.want+"z\n" {
				t.Errorf("after an append: %q, want %q", data, tt.want+"z\n")
			}
			if err := r.PutJournal(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if keys := journalKeys(t, r); !slices.Equal(keys, []string{b.journalPrefix() + "notes.txt"}) {
				t.Errorf("after emptying: %q", keys)
			}
		})
	}
}

// TestJournalConcurrentAppenders: two berths appending at once (one
// bypassed the lock) never overwrite each other's records.
func TestJournalConcurrentAppenders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	const each = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, who := range []string{"a", "b"} {
		b := openTest(t, c, backend.DefaultWorkspace)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := b.AppendJournal(ctx, fmt.Appendf(nil, "%s%d\n", who, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data, _ := journalOf(t, openTest(t, c, backend.DefaultWorkspace))
	lines := strings.Fields(data)
	if len(lines) != 2*each {
		t.Fatalf("%d records, want %d: %q", len(lines), 2*each, data)
	}
	for _, who := range []string{"a", "b"} {
		var mine []string
		for _, l := range lines {
			if strings.HasPrefix(l, who) {
				mine = append(mine, l)
			}
		}
		for i, l := range mine {
			if l != fmt.Sprintf("%s%d", who, i) {
				t.Errorf("%s's records out of order: %q", who, mine)
				break
			}
		}
	}
}
