// Package zonefile reads and writes the zone files managed by the example
// DNS provider: a readable subset of the BIND master-file format.
//
//	; Managed by berth-provider-dns.
//	$ORIGIN example.com.
//	$TTL 300
//	@    3600 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 604800 300
//	www  300  IN A   192.0.2.10
//	www  300  IN A   192.0.2.11
//	txt  300  IN TXT "v=spf1 -all"
//
// Each change is written atomically (temporary file, fsync, rename) with the
// SOA serial bumped, so DNS servers reloading the file see whole versions
// only. Records are held as record sets: all values of one name and type.
package zonefile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// RecordSet is all records of one name and type. Name is relative to the
// zone's origin ("www", "@" for the apex).
type RecordSet struct {
	Name   string
	Type   string
	TTL    int64
	Values []string
}

// Zone is the parsed content of a zone file.
type Zone struct {
	Origin string
	Serial uint32
	// Sets in file order; Put keeps them sorted by name and type.
	Sets []RecordSet
}

// Get returns the record set of name and type.
func (z *Zone) Get(name, typ string) (RecordSet, bool) {
	i := z.index(name, typ)
	if i < 0 {
		return RecordSet{}, false
	}
	return z.Sets[i], true
}

// Put adds or replaces a record set.
func (z *Zone) Put(rs RecordSet) {
	rs.Values = slices.Clone(rs.Values)
	if i := z.index(rs.Name, rs.Type); i >= 0 {
		z.Sets[i] = rs
		return
	}
	z.Sets = append(z.Sets, rs)
	slices.SortStableFunc(z.Sets, func(a, b RecordSet) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
}

// Delete removes a record set and reports whether it existed.
func (z *Zone) Delete(name, typ string) bool {
	i := z.index(name, typ)
	if i < 0 {
		return false
	}
	z.Sets = slices.Delete(z.Sets, i, i+1)
	return true
}

// Records counts the records (not sets) of the zone, SOA excluded.
func (z *Zone) Records() int {
	n := 0
	for _, rs := range z.Sets {
		n += len(rs.Values)
	}
	return n
}

func (z *Zone) index(name, typ string) int {
	return slices.IndexFunc(z.Sets, func(rs RecordSet) bool {
		return strings.EqualFold(rs.Name, name) && strings.EqualFold(rs.Type, typ)
	})
}

// Parse reads a zone file. It accepts what Format writes and the hand edits
// an operator is likely to make: omitted TTL and class, a blank owner name
// (same as the previous line), comments, and names written absolute.
func Parse(data []byte) (*Zone, error) {
	z := &Zone{}
	defaultTTL := int64(300)
	prevName := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := sc.Text()
		fields, err := splitFields(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "$ORIGIN":
			if len(fields) != 2 {
				return nil, fmt.Errorf("line %d: $ORIGIN takes one name", lineNo)
			}
			z.Origin = fields[1]
			continue
		case "$TTL":
			if len(fields) != 2 {
				return nil, fmt.Errorf("line %d: $TTL takes one number", lineNo)
			}
			if defaultTTL, err = strconv.ParseInt(fields[1], 10, 64); err != nil {
				return nil, fmt.Errorf("line %d: $TTL: %w", lineNo, err)
			}
			continue
		}
		name := prevName
		if line[0] != ' ' && line[0] != '\t' {
			name, fields = z.relative(fields[0]), fields[1:]
		}
		if name == "" {
			return nil, fmt.Errorf("line %d: record without a name", lineNo)
		}
		prevName = name
		ttl := defaultTTL
		if len(fields) > 0 {
			if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
				ttl, fields = n, fields[1:]
			}
		}
		if len(fields) > 0 && strings.EqualFold(fields[0], "IN") {
			fields = fields[1:]
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("line %d: expected a type and a value", lineNo)
		}
		typ, rdata := strings.ToUpper(fields[0]), fields[1:]
		if typ == "SOA" {
			if len(rdata) != 7 {
				return nil, fmt.Errorf("line %d: SOA takes 7 fields", lineNo)
			}
			serial, err := strconv.ParseUint(rdata[2], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("line %d: SOA serial: %w", lineNo, err)
			}
			z.Serial = uint32(serial)
			continue
		}
		value := strings.Join(rdata, " ")
		if i := z.index(name, typ); i >= 0 {
			z.Sets[i].Values = append(z.Sets[i].Values, value)
		} else {
			z.Sets = append(z.Sets, RecordSet{Name: name, Type: typ, TTL: ttl, Values: []string{value}})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if z.Origin == "" {
		return nil, errors.New("no $ORIGIN")
	}
	return z, nil
}

// relative turns an owner name into the form record sets use.
func (z *Zone) relative(name string) string {
	switch {
	case name == "@" || strings.EqualFold(name, z.Origin):
		return "@"
	case z.Origin != "" && strings.HasSuffix(strings.ToLower(name), "."+strings.ToLower(z.Origin)):
		return name[:len(name)-len(z.Origin)-1]
	}
	return name
}

// splitFields splits a line into fields, honouring double-quoted strings
// (kept with their quotes, as TXT values are written) and ; comments.
func splitFields(line string) ([]string, error) {
	var fields []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ';':
			return fields, nil
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, errors.New("unterminated string")
			}
			fields = append(fields, line[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != ';' {
				j++
			}
			fields = append(fields, line[i:j])
			i = j
		}
	}
	return fields, nil
}

// Quote returns s as a zone-file character string, for TXT values.
func Quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Unquote reverses Quote; a value without quotes is returned as is.
func Unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(s[1 : len(s)-1])
}

// Format renders the zone in the file format.
func (z *Zone) Format() []byte {
	var b bytes.Buffer
	b.WriteString("; Managed by berth-provider-dns. Records edited here are reported as drift.\n")
	fmt.Fprintf(&b, "$ORIGIN %s\n$TTL 300\n", z.Origin)
	width := len("@")
	for _, rs := range z.Sets {
		width = max(width, len(rs.Name))
	}
	fmt.Fprintf(&b, "%-*s 3600 IN SOA ns1.%s hostmaster.%s %d 3600 600 604800 300\n", width, "@", z.Origin, z.Origin, z.Serial)
	for _, rs := range z.Sets {
		for _, v := range rs.Values {
			fmt.Fprintf(&b, "%-*s %d IN %s %s\n", width, rs.Name, rs.TTL, rs.Type, v)
		}
	}
	return b.Bytes()
}

// File is a zone file on disk, safe for concurrent use by one process.
type File struct {
	Path string
	// Origin is the zone's name, used when the file does not exist yet.
	Origin string

	mu sync.Mutex
}

// View calls fn with the zone as it is on disk.
func (f *File) View(fn func(z *Zone) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	z, err := f.load()
	if err != nil {
		return err
	}
	return fn(z)
}

// Update calls fn with the zone and, if fn changed it, writes it back with
// the serial bumped.
func (f *File) Update(fn func(z *Zone) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	z, err := f.load()
	if err != nil {
		return err
	}
	before := z.Format()
	if err := fn(z); err != nil {
		return err
	}
	if bytes.Equal(before, z.Format()) {
		return nil
	}
	z.Serial++
	return writeAtomic(f.Path, z.Format())
}

func (f *File) load() (*Zone, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		if f.Origin == "" {
			return nil, fmt.Errorf("zone file %s does not exist and no zone name was given to create it", f.Path)
		}
		return &Zone{Origin: f.Origin}, nil
	}
	if err != nil {
		return nil, err
	}
	z, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return z, nil
}

// writeAtomic replaces path with data so that readers see the old file or
// the new one, never a mix, even across a crash.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; best effort where unsupported
		d.Close()
	}
	return nil
}
