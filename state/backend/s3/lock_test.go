package s3

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// lockRecordOf reads the lock object of b as stored.
func lockRecordOf(t *testing.T, b *S3) (lockState, lockRecord) {
	t.Helper()
	obj, found, err := b.getObject(context.Background(), b.lockKey())
	if err != nil || !found {
		t.Fatalf("reading the lock object: %v, found %v", err, found)
	}
	st, rec, _ := readLock(obj.data)
	return st, rec
}

// TestLockHeld: while one berth holds the lock, another gets a LockError
// naming the holder; an unlock with another ID is refused; after the
// unlock the lock is free.
func TestLockHeld(t *testing.T) {
	t.Parallel()
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
	if !strings.Contains(err.Error(), info.Who) || le.Info.Expires.IsZero() {
		t.Errorf("the error does not name the holder %s, or no expiry: %v, %+v", info.Who, err, le.Info)
	}
	if err := m2.Backend().Unlock(ctx, "not-the-id"); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("unlock with another ID: %v", err)
	}
	if holder, err := m2.Holder(ctx); err != nil || holder == nil || holder.ID != id {
		t.Errorf("Holder: %+v, %v", holder, err)
	}
	if err := m1.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if st, _ := lockRecordOf(t, m1.Backend().(*S3)); st != lockReleased {
		t.Errorf("the lock object after unlock: state %d, want released", st)
	}
	if holder, err := m2.Holder(ctx); err != nil || holder != nil {
		t.Errorf("Holder of a free lock: %+v, %v", holder, err)
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
}

// TestLockExpiry: a lock nobody renews is taken over once its lease has
// passed on the server's clock, and then its old holder's renewal says
// it was lost, naming the new holder.
func TestLockExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	a, b := openTest(t, c, backend.DefaultWorkspace), openTest(t, c, backend.DefaultWorkspace)
	ia := statemgr.NewLockInfo("apply")
	// start is no later than the lease's start, on any clock; and no
	// manager renews the lease.
	start := time.Now()
	if err := a.Lock(ctx, ia); err != nil {
		t.Fatal(err)
	}
	ib := statemgr.NewLockInfo("apply")
	var le *backend.LockError
	if err := b.Lock(ctx, ib); !errors.As(err, &le) || le.Info == nil || le.Info.ID != ia.ID {
		t.Fatalf("while the lease runs: %v", err)
	}
	var err error
	for err = b.Lock(ctx, ib); err != nil; err = b.Lock(ctx, ib) {
		if !errors.As(err, &le) {
			t.Fatal(err)
		}
		if time.Since(start) > 4*testLease+30*time.Second {
			t.Fatalf("the expired lock was not taken: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("an unrenewed lease of %s was taken over after %s", testLease, took.Round(10*time.Millisecond))
	if took < testLease {
		t.Errorf("taken over after %s, before the lease of %s ended", took, testLease)
	}
	var lost *backend.LostLockError
	if err := a.RenewLock(ctx, ia.ID); !errors.As(err, &lost) || lost.Holder == nil || lost.Holder.ID != ib.ID {
		t.Errorf("renewing the lost lock: %v", err)
	}
	if err := a.Unlock(ctx, ia.ID); err == nil || !strings.Contains(err.Error(), ib.ID) {
		t.Errorf("unlocking the lost lock: %v", err)
	}
	if _, rec := lockRecordOf(t, b); rec.ID != ib.ID {
		t.Errorf("the lock object holds %s, want the new holder %s", rec.ID, ib.ID)
	}
}

// TestLockExpiryOnServerClock: a lease is judged on the server's clock. A
// record whose Expires has passed by this host's clock (a holder whose
// clock is behind) is not taken while it was written less than the lease
// ago.
func TestLockExpiryOnServerClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	b := openTest(t, c, backend.DefaultWorkspace)
	info := statemgr.NewLockInfo("apply")
	info.Expires = time.Now().Add(-time.Hour)
	data, err := json.Marshal(lockRecord{LockInfo: info, Lease: time.Minute.String()})
	if err != nil {
		t.Fatal(err)
	}
	putRaw(t, c, b.lockKey(), data)
	var le *backend.LockError
	if err := b.Lock(ctx, statemgr.NewLockInfo("apply")); !errors.As(err, &le) || le.Info == nil || le.Info.ID != info.ID {
		t.Errorf("a lease written just now, expired by the holder's clock: %v", err)
	}
}

// TestLockTakeoverRace: of several berths taking over one expired lock at
// once, exactly one gets it.
func TestLockTakeoverRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	dead := statemgr.NewLockInfo("apply")
	if err := openTest(t, c, backend.DefaultWorkspace).Lock(ctx, dead); err != nil {
		t.Fatal(err)
	}
	time.Sleep(testLease + 2*time.Second) // expired, on the server's clock too
	const takers = 8
	var wg sync.WaitGroup
	errs := make([]error, takers)
	ids := make([]string, takers)
	for i := range takers {
		b := openTest(t, c, backend.DefaultWorkspace)
		info := statemgr.NewLockInfo("apply")
		ids[i] = info.ID
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.Lock(ctx, info)
		}()
	}
	wg.Wait()
	var winners []string
	for i, err := range errs {
		var le *backend.LockError
		switch {
		case err == nil:
			winners = append(winners, ids[i])
		case !errors.As(err, &le):
			t.Errorf("taker %d: %v", i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d takers got the lock, want 1: %v", len(winners), errs)
	}
	if _, rec := lockRecordOf(t, openTest(t, c, backend.DefaultWorkspace)); rec.ID != winners[0] {
		t.Errorf("the lock object holds %s, the winner is %s", rec.ID, winners[0])
	}
}

// TestRenewKeepsLock: a lock held through the state manager is renewed:
// it is not taken over however long after its first lease it is held.
func TestRenewKeepsLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	other := openTest(t, c, backend.DefaultWorkspace)
	deadline := time.Now().Add(3 * testLease)
	for time.Now().Before(deadline) {
		var le *backend.LockError
		if err := other.Lock(ctx, statemgr.NewLockInfo("apply")); !errors.As(err, &le) || le.Info == nil || le.Info.ID != id {
			t.Fatalf("%s into a held lease: %v", time.Until(deadline), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := m.Unlock(ctx, id); err != nil {
		t.Fatalf("unlocking after renewals: %v", err)
	}
	if err := other.Lock(ctx, statemgr.NewLockInfo("apply")); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}

// TestLostLockDetected: when the lock a manager holds is taken from it
// (force-unlocked and locked by another), its next renewal finds out, its
// writes are refused, and its Unlock says the lock was lost.
func TestLostLockDetected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	thief := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	if err := thief.ForceUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	tid, err := thief.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Unlock(ctx, tid)
	s.SetInstance(statetest.Instance(t, "test_object.b"), "test", statetest.Object("b"))
	deadline := time.Now().Add(2*testLease + 30*time.Second)
	for {
		err := m.Write(ctx, s)
		var lost *backend.LostLockError
		if errors.As(err, &lost) {
			break
		}
		if err != nil {
			t.Fatalf("a write after the lock was taken: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the lost lock was not detected")
		}
		// Until its next renewal the manager cannot know: its writes go
		// through (the thief wrote no state over them).
		s.SetInstance(statetest.Instance(t, "test_object.b"), "test", statetest.Object(time.Now().String()))
		time.Sleep(200 * time.Millisecond)
	}
	var lost *backend.LostLockError
	if err := m.Unlock(ctx, id); !errors.As(err, &lost) || lost.Holder == nil || lost.Holder.ID != tid {
		t.Errorf("Unlock of the lost lock: %v", err)
	}
}

// TestForceUnlockUnreadable: a lock object that is not a lock record
// blocks Lock with a LockError without holder, and Unlock with any ID
// (berth force-unlock) removes it.
func TestForceUnlockUnreadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, garbage := range []string{"{torn", `{"operation": "apply"}`, "\x00\x01binary"} {
		c := testConfig(t)
		b := openTest(t, c, backend.DefaultWorkspace)
		putRaw(t, c, b.lockKey(), []byte(garbage))
		m := statemgr.New(b)
		_, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
		var le *backend.LockError
		if !errors.As(err, &le) || le.Info != nil || le.Err == nil || !strings.Contains(err.Error(), "force-unlock") {
			t.Fatalf("%q: Lock = %v", garbage, err)
		}
		if _, err := m.Holder(ctx); !errors.As(err, &le) || le.Info != nil {
			t.Errorf("%q: Holder = %v", garbage, err)
		}
		if err := m.ForceUnlock(ctx, "whatever"); err != nil {
			t.Fatalf("%q: force-unlock: %v", garbage, err)
		}
		id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
		if err != nil {
			t.Fatalf("%q: after force-unlock: %v", garbage, err)
		}
		if err := m.Unlock(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

// holdEnv makes the test binary, re-executed by TestLockHolderKilled,
// take the lock of the backend its JSON describes, renew it through the
// state manager, and sleep until killed.
const holdEnv = "BERTH_TEST_S3_HOLD"

// TestLockHolderKilled: a berth killed with SIGKILL while it holds the
// lock (renewing it) stops renewing it: the next berth gets the lock
// within the lease, counted from the kill, without force-unlock.
func TestLockHolderKilled(t *testing.T) {
	if spec := os.Getenv(holdEnv); spec != "" {
		holdLock(t, spec)
		return
	}
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	spec, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cmd := statetest.StartLockHolder(t, "TestLockHolderKilled", holdEnv, string(spec))
	// Held, and renewed, past its first lease.
	time.Sleep(testLease + testLease/2)
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	_, err = m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.PID != cmd.Process.Pid {
		t.Fatalf("while the child holds it: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), testLease+60*time.Second)
	took := time.Since(killed)
	if err != nil {
		t.Fatalf("%s after the SIGKILL: %v", took, err)
	}
	t.Logf("the lock (lease %s) was taken %s after the holder's SIGKILL", testLease, took.Round(10*time.Millisecond))
	// The lease, the second of the server's clock resolution, and the
	// manager's retry interval (at most a second).
	if limit := testLease + 2*time.Second; took > limit {
		t.Errorf("taking over a killed holder's lock took %s, more than %s", took, limit)
	}
	if _, rec := lockRecordOf(t, m.Backend().(*S3)); rec.ID != id || rec.PID != os.Getpid() {
		t.Errorf("the lock object after the takeover: %+v", rec)
	}
}

func holdLock(t *testing.T, spec string) {
	var c Config
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	if _, err := m.Lock(context.Background(), statemgr.NewLockInfo("apply"), 0); err != nil {
		t.Fatal(err)
	}
	statetest.HoldLock() // renewing, until killed
}
