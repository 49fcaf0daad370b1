package zonefile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Zone
		wantErr string
	}{
		{"written format", `; comment
$ORIGIN example.com.
$TTL 300
@   3600 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 604800 300
www 300  IN A   192.0.2.1
www 300  IN A   192.0.2.2
txt 60   IN TXT "v=spf1 -all" ; trailing comment
`, &Zone{Origin: "example.com.", Serial: 7, Sets: []RecordSet{
			{Name: "www", Type: "A", TTL: 300, Values: []string{"192.0.2.1", "192.0.2.2"}},
			{Name: "txt", Type: "TXT", TTL: 60, Values: []string{`"v=spf1 -all"`}},
		}}, ""},
		{"hand edits: no ttl, no class, blank owner, absolute names", `$ORIGIN example.com.
$TTL 120
mail.example.com. MX 10 mx.example.com.
                  IN A 192.0.2.9
example.com. a 192.0.2.7
`, &Zone{Origin: "example.com.", Sets: []RecordSet{
			{Name: "mail", Type: "MX", TTL: 120, Values: []string{"10 mx.example.com."}},
			{Name: "mail", Type: "A", TTL: 120, Values: []string{"192.0.2.9"}},
			{Name: "@", Type: "A", TTL: 120, Values: []string{"192.0.2.7"}},
		}}, ""},
		{"no origin", "www 300 IN A 192.0.2.1\n", nil, "no $ORIGIN"},
		{"unterminated string", "$ORIGIN a.\nx 1 IN TXT \"oops\n", nil, "line 2: unterminated string"},
		{"bad serial", "$ORIGIN a.\n@ 1 IN SOA a. b. x 1 1 1 1\n", nil, "line 2: SOA serial"},
		{"missing value", "$ORIGIN a.\nwww 300 IN A\n", nil, "line 2: expected a type and a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(z, tt.want) {
				t.Errorf("got %+v\nwant %+v", z, tt.want)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	z := &Zone{Origin: "example.com.", Serial: 3}
	z.Put(RecordSet{Name: "www", Type: "A", TTL: 300, Values: []string{"192.0.2.1", "192.0.2.2"}})
	z.Put(RecordSet{Name: "@", Type: "TXT", TTL: 60, Values: []string{Quote(`say "hi" \o/`)}})
	z.Put(RecordSet{Name: "api", Type: "CNAME", TTL: 300, Values: []string{"www.example.com."}})
	got := string(z.Format())
	want := `; Managed by berth-provider-dns. Records edited here are reported as drift.
$ORIGIN example.com.
$TTL 300
@   3600 IN SOA ns1.example.com. hostmaster.example.com. 3 3600 600 604800 300
@   60 IN TXT "say \"hi\" \\o/"
api 300 IN CNAME www.example.com.
www 300 IN A 192.0.2.1
www 300 IN A 192.0.2.2
`
	if got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	back, err := Parse([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, z) {
		t.Errorf("round trip: %+v, want %+v", back, z)
	}
	if rs, _ := back.Get("@", "txt"); Unquote(rs.Values[0]) != `say "hi" \o/` {
		t.Errorf("TXT value %q", rs.Values[0])
	}
	if back.Records() != 4 {
		t.Errorf("Records() = %d", back.Records())
	}
}

func TestFileUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "example.com.zone")
	f := &File{Path: path, Origin: "example.com."}
	serial := func() uint32 {
		var s uint32
		if err := f.View(func(z *Zone) error { s = z.Serial; return nil }); err != nil {
			t.Fatal(err)
		}
		return s
	}
	put := func(z *Zone) error {
		z.Put(RecordSet{Name: "www", Type: "A", TTL: 300, Values: []string{"192.0.2.1"}})
		return nil
	}
	if err := f.Update(put); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 1 {
		t.Errorf("serial after create %d, want 1", s)
	}
	// An update that changes nothing neither writes nor bumps the serial.
	if err := f.Update(put); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 1 {
		t.Errorf("serial after no-op %d, want 1", s)
	}
	// Concurrent updates are serialised: none is lost.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := f.Update(func(z *Zone) error {
				z.Put(RecordSet{Name: "h" + string(rune('a'+i)), Type: "A", TTL: 300, Values: []string{"192.0.2.3"}})
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := f.View(func(z *Zone) error {
		if z.Records() != 21 || z.Serial != 21 {
			t.Errorf("%d records, serial %d", z.Records(), z.Serial)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries", len(entries))
	}

	missing := &File{Path: filepath.Join(t.TempDir(), "none.zone")}
	if err := missing.View(func(*Zone) error { return nil }); err == nil || !strings.Contains(err.Error(), "no zone name") {
		t.Errorf("missing file without origin: %v", err)
	}
}
