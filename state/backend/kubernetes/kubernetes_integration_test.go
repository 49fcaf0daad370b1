//go:build integration

package kubernetes

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// The integration tests run against the API server of
// scripts/testenv/kube.sh (make integration starts it). Each test works
// under a secret_suffix of its own in the default namespace, and deletes
// its objects at its end.

const kubeconfigEnv = "BERTH_TEST_KUBECONFIG"

var nonDNS = regexp.MustCompile(`[^a-z0-9]+`)

// testConfig returns a configuration with a suffix of the test's own;
// the objects under it are deleted when the test ends.
func testConfig(t *testing.T) Config {
	t.Helper()
	path := os.Getenv(kubeconfigEnv)
	if path == "" {
		t.Fatalf("%s is not set: start the test environment with scripts/testenv/kube.sh start and eval \"$(scripts/testenv/kube.sh env)\" (make integration does both)", kubeconfigEnv)
	}
	name := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	c := Config{ConfigPath: path, Namespace: DefaultNamespace, SecretSuffix: strings.Trim(name, "-") + "-" + hex.EncodeToString(b[:])}
	cl, err := newClients(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		sel := metav1.ListOptions{LabelSelector: labelSuffix + "=" + c.SecretSuffix}
		if err := cl.secrets.DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
			t.Errorf("deleting the test's Secrets: %v", err)
		}
		if err := cl.leases.DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
			t.Errorf("deleting the test's Leases: %v", err)
		}
	})
	return c
}

func openTest(t *testing.T, c Config, workspace string) *Kubernetes {
	t.Helper()
	ws, err := NewWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ws.workspace(workspace)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encoded(t *testing.T, s *state.State) []byte {
	t.Helper()
	data, err := statefile.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// bigState returns a state holding about n random bytes (base64, so that
// gzip cannot shrink it much), in instances of 64 KiB.
func bigState(t *testing.T, n int) *state.State {
	t.Helper()
	s := state.New()
	for i := 0; n > 0; i++ {
		raw := make([]byte, min(n, 48<<10))
		_, _ = rand.Read(raw)
		n -= len(raw)
		s.SetInstance(statetest.Instance(t, fmt.Sprintf("test_object.big[%d]", i)), "test", &state.Object{
			Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(fmt.Sprint(i)), "blob": cty.StringVal(base64.StdEncoding.EncodeToString(raw))}),
		})
	}
	return s
}

// secretsOf lists the names of the Secrets of k's workspace with role.
func secretsOf(t *testing.T, k *Kubernetes, role string) []string {
	t.Helper()
	list, err := k.c.secretMeta.List(context.Background(), metav1.ListOptions{LabelSelector: selector(labels(k.workspace, k.cfg.SecretSuffix, role))})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range list.Items {
		names = append(names, o.Name)
	}
	slices.Sort(names)
	return names
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	k := openTest(t, c, backend.DefaultWorkspace)
	if data, found, err := k.Get(ctx); err != nil || found || data != nil {
		t.Fatalf("nothing stored yet: %q, %v, %v", data, found, err)
	}
	s := statetest.Big(50)
	s.Serial = 1
	want := encoded(t, s)
	if err := k.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := openTest(t, c, backend.DefaultWorkspace).Get(ctx)
	if err != nil || !found || string(got) != string(want) {
		t.Fatalf("read back %d bytes, %v, %v; want the %d bytes written", len(got), found, err, len(want))
	}
	if heads := secretsOf(t, k, roleState); !slices.Equal(heads, []string{"berth-state-default-" + c.SecretSuffix}) {
		t.Errorf("state heads %v", heads)
	}
	if chunks := secretsOf(t, k, roleStateChunk); len(chunks) != 0 {
		t.Errorf("a small state was chunked: %v", chunks)
	}
	if _, found, err := openTest(t, c, "other").Get(ctx); err != nil || found {
		t.Errorf("workspace other: %v, %v", found, err)
	}
}

// TestChunked: a state past a Secret's 1 MiB is stored in chunks and read
// back whole; a new state replaces the chunks (the old ones are deleted);
// chunks of a write cut short leave the stored state readable and are
// swept by the next write.
func TestChunked(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	k := openTest(t, c, backend.DefaultWorkspace)
	s := bigState(t, 2<<20) // about 2.7 MB encoded, 2 MB gzipped
	s.Serial = 1
	first := encoded(t, s)
	if err := k.Put(ctx, first); err != nil {
		t.Fatal(err)
	}
	chunks1 := secretsOf(t, k, roleStateChunk)
	if len(chunks1) < 2 {
		t.Fatalf("a %d-byte state is in %d chunks", len(first), len(chunks1))
	}
	if got, found, err := openTest(t, c, backend.DefaultWorkspace).Get(ctx); err != nil || !found || string(got) != string(first) {
		t.Fatalf("read back %d bytes, %v, %v; want the %d bytes written", len(got), found, err, len(first))
	}

	// A write killed after its chunks and before its head: the state
	// stored is unchanged.
	orphans, err := k.writeChunks(ctx, k.stateName(), roleStateChunk, "1", []byte("half a write"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := k.Get(ctx); err != nil || string(got) != string(first) {
		t.Fatalf("after a write cut short: %d bytes, %v", len(got), err)
	}

	s2 := bigState(t, 2<<20)
	s2.Lineage, s2.Serial = s.Lineage, 2
	second := encoded(t, s2)
	if err := k.Put(ctx, second); err != nil {
		t.Fatal(err)
	}
	chunks2 := secretsOf(t, k, roleStateChunk)
	for _, n := range slices.Concat(chunks1, orphans) {
		if slices.Contains(chunks2, n) {
			t.Errorf("chunk %s is left after the next write", n)
		}
	}
	if got, _, err := k.Get(ctx); err != nil || string(got) != string(second) {
		t.Fatalf("the second state: %d bytes, %v", len(got), err)
	}

	small := statetest.Big(5)
	small.Lineage, small.Serial = s.Lineage, 3
	if err := k.Put(ctx, encoded(t, small)); err != nil {
		t.Fatal(err)
	}
	if left := secretsOf(t, k, roleStateChunk); len(left) != 0 {
		t.Errorf("chunks left once the state fits its head: %v", left)
	}
}

// TestConcurrentWriters: writers that read the same head and write the
// next serial at once (they bypassed the lock): one wins, the others are
// refused, and the stored state is the winner's, whole.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	base := bigState(t, 1<<20)
	base.Serial = 1
	if err := openTest(t, c, backend.DefaultWorkspace).Put(ctx, encoded(t, base)); err != nil {
		t.Fatal(err)
	}
	const writers = 4
	states := make([][]byte, writers)
	for i := range states {
		s := bigState(t, 1<<20)
		s.Lineage, s.Serial = base.Lineage, 2
		states[i] = encoded(t, s)
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		k := openTest(t, c, backend.DefaultWorkspace)
		wg.Go(func() { errs[i] = k.Put(ctx, states[i]) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both wrote serial 2", won, i)
		case err == nil:
			won = i
		case !strings.Contains(err.Error(), "refusing") && !strings.Contains(err.Error(), "meanwhile"):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	k := openTest(t, c, backend.DefaultWorkspace)
	got, _, err := k.Get(ctx)
	if err != nil || string(got) != string(states[won]) {
		t.Fatalf("stored: %d bytes, %v; want writer %d's", len(got), err, won)
	}
	// The losers' chunks, if they wrote any, are gone.
	head, err := k.getHead(ctx, k.stateName(), roleState)
	if err != nil {
		t.Fatal(err)
	}
	if listed, all := chunkNames(head), secretsOf(t, k, roleStateChunk); !slices.Equal(slices.Sorted(slices.Values(listed)), all) {
		t.Errorf("chunks %v, the head lists %v", all, listed)
	}
}

// TestManager: through the state manager, the serial is assigned and a
// state of another lineage is refused.
func TestManager(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	if _, err := m.Read(ctx); err != nil {
		t.Fatal(err)
	}
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.SetInstance(statetest.Instance(t, "test_object.b"), "test", statetest.Object("b"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Serial != 2 {
		t.Errorf("serial %d after two writes, want 2", s.Serial)
	}
	read, err := statemgr.New(openTest(t, c, backend.DefaultWorkspace)).Read(ctx)
	if err != nil || read.Serial != 2 || read.Lineage != s.Lineage || read.InstanceCount() != 2 {
		t.Fatalf("read back %+v, %v", read, err)
	}
	other := state.New()
	other.SetInstance(statetest.Instance(t, "test_object.c"), "test", statetest.Object("c"))
	if err := statemgr.New(openTest(t, c, backend.DefaultWorkspace)).Write(ctx, other); err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("a state of another lineage through the manager: %v", err)
	}
	other.Serial = 99
	var se *backend.StaleWriteError
	if err := openTest(t, c, backend.DefaultWorkspace).Put(ctx, encoded(t, other)); !errors.As(err, &se) || se.StoredLineage != s.Lineage {
		t.Errorf("a state of another lineage, put directly: %v", err)
	}
}

// TestStaleWriter: a writer whose serial is not above the stored one is
// refused, lock or no lock; the same bytes again are accepted.
func TestStaleWriter(t *testing.T) {
	ctx := context.Background()
	k := openTest(t, testConfig(t), backend.DefaultWorkspace)
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	s.Serial = 2
	stored := encoded(t, s)
	if err := k.Put(ctx, stored); err != nil {
		t.Fatal(err)
	}
	stale := s.DeepCopy()
	stale.SetInstance(statetest.Instance(t, "test_object.stale"), "test", statetest.Object("stale"))
	for _, serial := range []uint64{1, 2} {
		stale.Serial = serial
		var se *backend.StaleWriteError
		err := k.Put(ctx, encoded(t, stale))
		if !errors.As(err, &se) || se.StoredSerial != 2 || !strings.Contains(err.Error(), "not above") {
			t.Errorf("serial %d over serial 2: %v", serial, err)
		}
	}
	if err := k.Put(ctx, stored); err != nil {
		t.Errorf("the stored bytes again: %v", err)
	}
	if got, _, _ := k.Get(ctx); string(got) != string(stored) {
		t.Error("the stored state changed")
	}
	stale.Serial = 3
	if err := k.Put(ctx, encoded(t, stale)); err != nil {
		t.Errorf("serial 3: %v", err)
	}
	if err := k.Put(ctx, []byte("not a state")); err == nil {
		t.Error("bytes that are not a state file were stored")
	}
}

// TestWriteOverAnotherWriter: a backend that wrote the state and then
// writes again after another berth wrote it checks its write over what is
// stored now, not over the head it remembers.
func TestWriteOverAnotherWriter(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	a, b := openTest(t, c, backend.DefaultWorkspace), openTest(t, c, backend.DefaultWorkspace)
	s := statetest.Big(5)
	put := func(k *Kubernetes, serial uint64, id string) error {
		t.Helper()
		s.Serial = serial
		s.SetInstance(statetest.Instance(t, "test_object.x"), "test", statetest.Object(id))
		return k.Put(ctx, encoded(t, s))
	}
	if err := put(a, 1, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := put(b, 2, "b2"); err != nil {
		t.Fatal(err)
	}
	var se *backend.StaleWriteError
	if err := put(a, 2, "a2"); !errors.As(err, &se) || se.StoredSerial != 2 {
		t.Errorf("a's serial 2 over b's: %v", err)
	}
	if err := put(a, 3, "a3"); err != nil {
		t.Errorf("a's serial 3 over b's 2: %v", err)
	}
	got, _, err := b.Get(ctx)
	if err != nil || string(got) != string(encoded(t, s)) {
		t.Errorf("the stored state is not a's serial 3: %v", err)
	}
	// The same bytes again from b, which read them: accepted.
	if err := b.Put(ctx, got); err != nil {
		t.Errorf("the stored bytes again: %v", err)
	}
}

// TestPersisterCheck: an apply's first write (Persister.Check) rewrites
// the unchanged state with its serial, which the guard lets through.
func TestPersisterCheck(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	if err := statemgr.New(openTest(t, c, backend.DefaultWorkspace)).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	read, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := statemgr.NewPersister(ctx, m, state.NewSyncState(read)).Check(ctx); err != nil {
		t.Fatalf("the check write of an unchanged state: %v", err)
	}
}

// TestJournal: appends accumulate, past the tail's size too (in chunks);
// a put replaces the journal and removes the chunks it no longer lists;
// an empty put removes it.
func TestJournal(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	k := openTest(t, c, backend.DefaultWorkspace)
	get := func(k *Kubernetes) (string, bool) {
		t.Helper()
		data, found, err := k.GetJournal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(data), found
	}
	if data, found := get(k); found || data != "" {
		t.Fatalf("a fresh journal: %q, %v", data, found)
	}
	var want strings.Builder
	for i := range 40 {
		// Records of 10 KiB: 400 KiB in all, past the tail's 128 KiB.
		rec := fmt.Sprintf("%03d %s\n", i, strings.Repeat("x", 10<<10))
		want.WriteString(rec)
		if err := k.AppendJournal(ctx, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if data, found := get(openTest(t, c, backend.DefaultWorkspace)); !found || data != want.String() {
		t.Fatalf("after 40 appends: %d bytes, %v; want %d", len(data), found, want.Len())
	}
	if chunks := secretsOf(t, k, roleJournalChunk); len(chunks) < 2 {
		t.Errorf("400 KiB of journal in %d chunks", len(chunks))
	}
	if _, found := get(openTest(t, c, "other")); found {
		t.Error("workspace other has a journal")
	}
	// Another backend appends too: the first one's next append sees it.
	if err := openTest(t, c, backend.DefaultWorkspace).AppendJournal(ctx, []byte("elsewhere\n")); err != nil {
		t.Fatal(err)
	}
	if err := k.AppendJournal(ctx, []byte("here\n")); err != nil {
		t.Fatal(err)
	}
	if data, _ := get(k); !strings.HasSuffix(data, "elsewhere\nhere\n") || len(data) != want.Len()+len("elsewhere\nhere\n") {
		t.Errorf("after appends from two backends: ...%q", data[max(0, len(data)-40):])
	}
	if err := k.PutJournal(ctx, []byte("kept\n")); err != nil {
		t.Fatal(err)
	}
	if chunks := secretsOf(t, k, roleJournalChunk); len(chunks) != 0 {
		t.Errorf("chunks left after a put: %v", chunks)
	}
	if err := k.AppendJournal(ctx, []byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if data, found := get(k); !found || data != "kept\nafter\n" {
		t.Errorf("after a put and an append: %q, %v", data, found)
	}
	if err := k.PutJournal(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if data, found := get(k); found || data != "" {
		t.Errorf("after an empty put: %q, %v", data, found)
	}
	if heads := secretsOf(t, k, roleJournal); len(heads) != 0 {
		t.Errorf("journal heads after an empty put: %v", heads)
	}
}

// TestLockHeld: while one manager holds the lock, another gets a
// LockError naming the holder and when the lease ends; after Unlock it
// gets the lock.
func TestLockHeld(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	m1 := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	m2 := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	info := statemgr.NewLockInfo("apply")
	id, err := m1.Lock(ctx, info, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.ID != id || le.Info.Operation != "apply" || le.Info.PID != os.Getpid() {
		t.Fatalf("the second lock: %v (%+v)", err, le)
	}
	if exp := time.Until(le.Info.Expires); exp <= 0 || exp > DefaultLeaseDuration+time.Second {
		t.Errorf("the lease expires in %s", exp)
	}
	if !strings.Contains(err.Error(), info.Who) {
		t.Errorf("the error does not name the holder %s: %v", info.Who, err)
	}
	if holder, err := m2.Holder(ctx); err != nil || holder == nil || holder.ID != id {
		t.Errorf("lock show: %+v, %v", holder, err)
	}
	if err := m2.Backend().Unlock(ctx, "not-the-id"); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("unlock with another ID: %v", err)
	}
	if err := m1.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	id2, err := m2.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if err := m2.Unlock(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if err := m2.Backend().Unlock(ctx, id2); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("unlocking an unlocked state: %v", err)
	}
	if holder, err := m2.Holder(ctx); err != nil || holder != nil {
		t.Errorf("lock show of a free lock: %+v, %v", holder, err)
	}
}

// TestLeaseExpires: a lease nobody renews is taken over once it expired,
// and its first holder's renewal then says the lock was lost, naming the
// new holder.
func TestLeaseExpires(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	c.LeaseDuration = 2 * time.Second
	a, b := openTest(t, c, backend.DefaultWorkspace), openTest(t, c, backend.DefaultWorkspace)
	ia := statemgr.NewLockInfo("apply")
	if err := a.Lock(ctx, ia); err != nil {
		t.Fatal(err)
	}
	if err := a.RenewLock(ctx, ia.ID); err != nil {
		t.Fatalf("renewing a held lock: %v", err)
	}
	var le *backend.LockError
	if err := b.Lock(ctx, statemgr.NewLockInfo("apply")); !errors.As(err, &le) {
		t.Fatalf("a live lease was taken: %v", err)
	}
	start := time.Now()
	ib := statemgr.NewLockInfo("plan")
	if _, err := statemgr.New(b).Lock(ctx, ib, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("an unrenewed %s lease was taken over after %s", c.LeaseDuration, time.Since(start).Round(time.Millisecond))
	var lost *backend.LostLockError
	if err := a.RenewLock(ctx, ia.ID); !errors.As(err, &lost) || lost.Holder == nil || lost.Holder.Operation != "plan" {
		t.Errorf("renewing a lease taken over: %v", err)
	}
	if err := a.Unlock(ctx, ia.ID); err == nil {
		t.Error("the first holder released the second's lock")
	}
}

// TestForceUnlockUnreadable: a Lease whose description annotation is
// garbage still says who holds it (its holderIdentity), and force-unlock
// with that ID frees it.
func TestForceUnlockUnreadable(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	holder := openTest(t, c, backend.DefaultWorkspace)
	info := statemgr.NewLockInfo("apply")
	if err := holder.Lock(ctx, info); err != nil {
		t.Fatal(err)
	}
	lease, err := holder.c.leases.Get(ctx, holder.leaseName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lease.Annotations[annLockInfo] = "{not json"
	if _, err := holder.c.leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	other := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	_, err = other.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info != nil || !strings.Contains(err.Error(), info.ID) {
		t.Fatalf("locking a lock with an unreadable description: %v", err)
	}
	if err := other.ForceUnlock(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	id, err := other.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatalf("after force-unlock: %v", err)
	}
	if err := other.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// TestWorkspaces: two workspaces of one suffix keep separate states and
// separate locks; they are listed, and deleting one removes its objects.
func TestWorkspaces(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	ws, err := NewWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		t.Helper()
		names, err := ws.Workspaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := list(); !slices.Equal(got, []string{"default"}) {
		t.Errorf("a fresh suffix lists %v", got)
	}
	states := map[string]*state.State{}
	for _, name := range []string{"dev", "Prod_EU.1"} {
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		s := statetest.Big(3)
		s.Serial = 1
		states[name] = s
		if err := b.Put(ctx, encoded(t, s)); err != nil {
			t.Fatal(err)
		}
		if err := b.AppendJournal(ctx, []byte(name+"\n")); err != nil {
			t.Fatal(err)
		}
		if err := b.Lock(ctx, statemgr.NewLockInfo("apply "+name)); err != nil {
			t.Fatalf("locking %s while the other is locked: %v", name, err)
		}
	}
	if got := list(); !slices.Equal(got, []string{"Prod_EU.1", "default", "dev"}) {
		t.Errorf("workspaces %v", got)
	}
	for name, s := range states {
		b, _ := ws.Workspace(name)
		data, _, err := b.Get(ctx)
		if err != nil || string(data) != string(encoded(t, s)) {
			t.Errorf("%s's state: %v", name, err)
		}
		var le *backend.LockError
		if err := b.Lock(ctx, statemgr.NewLockInfo("plan")); !errors.As(err, &le) || le.Info == nil || le.Info.Operation != "apply "+name {
			t.Errorf("%s's lock: %v", name, err)
		}
	}
	if err := ws.DeleteWorkspace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if got := list(); !slices.Equal(got, []string{"Prod_EU.1", "default"}) {
		t.Errorf("after deleting dev: %v", got)
	}
	dev, _ := ws.workspace("dev")
	for _, role := range []string{roleState, roleJournal} {
		if left := secretsOf(t, dev, role); len(left) != 0 {
			t.Errorf("dev's %s Secrets left: %v", role, left)
		}
	}
	if err := dev.Lock(ctx, statemgr.NewLockInfo("apply")); err != nil {
		t.Errorf("dev's lock after deleting it: %v", err)
	}
	if err := ws.DeleteWorkspace(ctx, "dev2"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("deleting a workspace that does not exist: %v", err)
	}
	if err := ws.DeleteWorkspace(ctx, "default"); err == nil {
		t.Error("the default workspace was deleted")
	}
}

// holdEnv makes the test binary, re-executed by TestLockHolderKilled,
// take the lock of the suffix it names through a state manager (which
// renews it) and sleep until killed.
const holdEnv = "BERTH_TEST_KUBE_HOLD_SUFFIX"

// TestLockHolderKilled: a berth killed with SIGKILL while it holds the
// lock stops renewing it, and the next berth takes it once the lease
// expired, without force-unlock; while the holder lives, its renewals
// keep the lock past the lease duration.
func TestLockHolderKilled(t *testing.T) {
	if suffix := os.Getenv(holdEnv); suffix != "" {
		holdLock(t, suffix)
		return
	}
	ctx := context.Background()
	c := testConfig(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnv+"="+c.SecretSuffix)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	locked := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "locked" {
				locked <- nil
				return
			}
		}
		locked <- fmt.Errorf("the holder exited without taking the lock: %v", sc.Err())
	}()
	select {
	case err := <-locked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the holder did not take the lock in 60 s")
	}
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	// Past the lease duration, the living holder still has it.
	time.Sleep(DefaultLeaseDuration + 3*time.Second)
	_, err = m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.PID != cmd.Process.Pid {
		t.Fatalf("while the renewing holder lives, after its lease duration: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 2*DefaultLeaseDuration)
	took := time.Since(killed)
	if err != nil {
		t.Fatalf("%s after the SIGKILL: %v", took, err)
	}
	t.Logf("the lock was taken %s after the holder's SIGKILL (lease %s, renewed every %s)", took.Round(time.Millisecond), DefaultLeaseDuration, DefaultLeaseDuration/3)
	if took > DefaultLeaseDuration+5*time.Second {
		t.Errorf("taking over a killed holder's lock took %s", took)
	}
	if err := m.Unlock(ctx, id); err != nil {
		t.Error(err)
	}
}

func holdLock(t *testing.T, suffix string) {
	c := Config{ConfigPath: os.Getenv(kubeconfigEnv), Namespace: DefaultNamespace, SecretSuffix: suffix}
	ws, err := NewWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ws.workspace(backend.DefaultWorkspace)
	if _, err := statemgr.New(k).Lock(context.Background(), statemgr.NewLockInfo("apply"), 0); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	select {} // until killed
}
