package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// The tests run against an S3 server: in-process without build tags
// (server_test.go), scripts/testenv/s3.sh's with -tags integration
// (server_integration_test.go). Each test has a bucket of its own.

// testLease is the tests' lease: short, for the takeover tests to be
// quick, and long enough for renewals every third of it on a loaded
// machine. BERTH_TEST_S3_LEASE sets another, to measure the takeover of
// the default lease (20s).
var testLease = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("BERTH_TEST_S3_LEASE")); err == nil && d >= MinLeaseDuration {
		return d
	}
	return 3 * time.Second
}()

var nonBucket = regexp.MustCompile(`[^a-z0-9]+`)

// testConfig returns the settings of a new, versioned bucket of the
// test's own.
func testConfig(t *testing.T) Config {
	t.Helper()
	c := testServer(t)
	c.Key, c.WorkspaceKeyPrefix, c.LeaseDuration = DefaultKey, DefaultWorkspaceKeyPrefix, testLease
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := strings.Trim(nonBucket.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	c.Bucket = "t-" + name[:min(len(name), 40)] + "-" + hex.EncodeToString(suffix)
	api := testAPI(t, c)
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3api.CreateBucketInput{Bucket: aws.String(c.Bucket)}); err != nil {
		t.Fatalf("creating bucket %s: %v", c.Bucket, err)
	}
	if _, err := api.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: aws.String(c.Bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("enabling versioning of bucket %s: %v", c.Bucket, err)
	}
	return c
}

// testAPI is an S3 client of c, for the tests to look at the bucket.
func testAPI(t *testing.T, c Config) *s3api.Client {
	t.Helper()
	api, err := (&client{cfg: c}).get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// openTest opens the named workspace's backend as a berth of its own
// would: with a client of its own.
func openTest(t *testing.T, c Config, workspace string) *S3 {
	t.Helper()
	ws, err := NewWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ws.workspace(workspace)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bucketKeys lists the keys of the current objects in c's bucket.
func bucketKeys(t *testing.T, c Config) []string {
	t.Helper()
	keys, err := openTest(t, c, backend.DefaultWorkspace).listKeys(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// putRaw writes an object unconditionally, as another tool would.
func putRaw(t *testing.T, c Config, key string, data []byte) {
	t.Helper()
	_, err := testAPI(t, c).PutObject(context.Background(), &s3api.PutObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key), Body: strings.NewReader(string(data))})
	if err != nil {
		t.Fatal(err)
	}
}

func encoded(t *testing.T, s *state.State) []byte {
	t.Helper()
	data, err := statefile.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	b := openTest(t, c, backend.DefaultWorkspace)
	if data, found, err := b.Get(ctx); err != nil || found || data != nil {
		t.Fatalf("a fresh bucket: %q, %v, %v", data, found, err)
	}
	s := statetest.Big(50)
	s.Serial = 1
	want := encoded(t, s)
	if err := b.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := openTest(t, c, backend.DefaultWorkspace).Get(ctx)
	if err != nil || !found || string(got) != string(want) {
		t.Fatalf("read back %d bytes, %v, %v; want the %d bytes written", len(got), found, err, len(want))
	}
	if keys := bucketKeys(t, c); !slices.Equal(keys, []string{DefaultKey}) {
		t.Errorf("the bucket holds %q, want the state object only", keys)
	}
	if loc := b.Location(); loc != "s3://"+c.Bucket+"/"+DefaultKey+" at "+c.Endpoint {
		t.Errorf("Location() = %q", loc)
	}
	// Another workspace is another state.
	if _, found, err := openTest(t, c, "other").Get(ctx); err != nil || found {
		t.Errorf("workspace other: %v, %v", found, err)
	}
}

// TestManager: through the state manager, the serial is assigned and a
// state of another lineage is refused.
func TestManager(t *testing.T) {
	t.Parallel()
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
	// An apply's check write of the unchanged state goes through.
	m2 := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	read, err = m2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := statemgr.NewPersister(ctx, m2, state.NewSyncState(read)).Check(ctx); err != nil {
		t.Errorf("the check write of an unchanged state: %v", err)
	}

	other := state.New()
	other.SetInstance(statetest.Instance(t, "test_object.c"), "test", statetest.Object("c"))
	m3 := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
	if err := m3.Write(ctx, other); err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("a state of another lineage through the manager: %v", err)
	}
}

// TestStaleWriter: a writer whose last read is older than the stored
// state is refused, lock or no lock, with the stored serial in the error.
func TestStaleWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	if err := statemgr.New(openTest(t, c, backend.DefaultWorkspace)).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	// Two berths read serial 1; the first writes serial 2.
	b1, b2 := openTest(t, c, backend.DefaultWorkspace), openTest(t, c, backend.DefaultWorkspace)
	m1, m2 := statemgr.New(b1), statemgr.New(b2)
	s1, err := m1.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := m2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s1.SetInstance(statetest.Instance(t, "test_object.one"), "test", statetest.Object("one"))
	if err := m1.Write(ctx, s1); err != nil {
		t.Fatal(err)
	}
	stored, _, _ := openTest(t, c, backend.DefaultWorkspace).Get(ctx)
	// The second, stale, is refused and changes nothing.
	s2.SetInstance(statetest.Instance(t, "test_object.two"), "test", statetest.Object("two"))
	err = m2.Write(ctx, s2)
	var se *StaleWriteError
	if !errors.As(err, &se) || se.Serial != 2 || se.Lineage != s.Lineage || !strings.Contains(err.Error(), b2.Location()) {
		t.Fatalf("the stale write: %v", err)
	}
	if now, _, _ := openTest(t, c, backend.DefaultWorkspace).Get(ctx); string(now) != string(stored) {
		t.Error("the stale write changed the state")
	}
	// A backend that read nothing writes only where nothing is stored.
	if err := openTest(t, c, backend.DefaultWorkspace).Put(ctx, encoded(t, s2)); !errors.As(err, &se) {
		t.Errorf("a blind write over a stored state: %v", err)
	}
	// Writing the bytes that are stored is no conflict (a retried
	// request whose first answer was lost).
	if err := b2.Put(ctx, stored); err != nil {
		t.Errorf("writing the stored bytes: %v", err)
	}
	if err := b2.Put(ctx, encoded(t, s2)); err != nil {
		t.Errorf("a write after the stored state was read: %v", err)
	}
}

// TestConcurrentRuns: two berths each run 20 times lock, read, change,
// write, unlock on one state: every change is kept, none is lost.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	const trials = 20
	errs := make(chan error, 2)
	for _, who := range []string{"a", "b"} {
		go func() {
			errs <- func() error {
				for i := range trials {
					m := statemgr.New(openTest(t, c, backend.DefaultWorkspace))
					id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), time.Minute)
					if err != nil {
						return err
					}
					s, err := m.Read(ctx)
					if err != nil {
						return err
					}
					if s == nil { // the first run, under the lock
						s = state.New()
					}
					name := who + string(rune('A'+i))
					s.SetInstance(statetest.Instance(t, "test_object."+name), "test", statetest.Object(name))
					if err := m.Write(ctx, s); err != nil {
						return err
					}
					if err := m.Unlock(ctx, id); err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err := statemgr.New(openTest(t, c, backend.DefaultWorkspace)).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.InstanceCount() != 2*trials || s.Serial != 2*trials {
		t.Errorf("after %d runs: %d instances, serial %d", 2*trials, s.InstanceCount(), s.Serial)
	}
}
