package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/examples/provider-dns/zonefile"
	"github.com/berth-sh/berth/providers/sdk"
)

// Config is the provider's configuration block:
//
//	provider "acmedns" {
//	  zone_file = "/srv/dns/example.com.zone"
//	  zone      = "example.com."
//	}
type Config struct {
	ZoneFile string `cty:"zone_file"`
	Zone     string `cty:"zone"`
}

// Record is the model of the record resource type: one record set.
type Record struct {
	Name   string   `cty:"name"`
	Type   string   `cty:"type"`
	TTL    int64    `cty:"ttl"`
	Values []string `cty:"values"`
	FQDN   string   `cty:"fqdn"`
	ID     string   `cty:"id"`
}

// ZoneData is the model of the zone data source.
type ZoneData struct {
	Serial      int64 `cty:"serial"`
	RecordCount int64 `cty:"record_count"`
}

// dns holds what Configure sets up; the resource functions close over it.
type dns struct {
	zone *zonefile.File
}

// New returns the provider.
func New() *sdk.Provider[Config] {
	d := &dns{}
	return &sdk.Provider[Config]{
		Version: Version,
		Schema: sdk.Schema{
			Description: "Manages DNS record sets in a zone file.",
			Attributes: map[string]sdk.Attribute{
				"zone_file": {Type: cty.String, Required: true, Description: "Path of the zone file; created if missing."},
				"zone":      {Type: cty.String, Optional: true, Description: `The zone's name, e.g. "example.com."; defaults to the file's $ORIGIN.`, Validate: absoluteName},
			},
		},
		Configure: d.configure,
		Resources: map[string]sdk.ResourceType{
			"record": d.recordResource(),
		},
		DataSources: map[string]sdk.DataSourceType{
			"zone": &sdk.DataSource[ZoneData]{
				Schema: sdk.Schema{Attributes: map[string]sdk.Attribute{
					"serial":       {Type: cty.Number, Computed: true, Description: "The SOA serial."},
					"record_count": {Type: cty.Number, Computed: true, Description: "How many records the zone holds (SOA excluded)."},
				}},
				Read: d.readZone,
			},
		},
	}
}

func (d *dns) configure(ctx context.Context, c Config) error {
	f := &zonefile.File{Path: c.ZoneFile, Origin: c.Zone}
	// Read the file now, so a broken or foreign zone file is reported once,
	// at configuration, instead of by every record.
	return f.View(func(z *zonefile.Zone) error {
		if c.Zone != "" && !strings.EqualFold(z.Origin, c.Zone) {
			return sdk.AttributeError(cty.GetAttrPath("zone"), "Zone mismatch",
				fmt.Sprintf("%s holds zone %s, not %s.", c.ZoneFile, z.Origin, c.Zone))
		}
		f.Origin = z.Origin
		d.zone = f
		return nil
	})
}

var recordTypes = []string{"A", "AAAA", "CNAME", "TXT"}

func (d *dns) recordResource() *sdk.Resource[Record] {
	return &sdk.Resource[Record]{
		Schema: sdk.Schema{
			Description: "A DNS record set: every value of one name and type.",
			Attributes: map[string]sdk.Attribute{
				"name":   {Type: cty.String, Required: true, ForceNew: true, Validate: relativeName, Description: `Name relative to the zone, "@" for the apex.`},
				"type":   {Type: cty.String, Required: true, ForceNew: true, Validate: sdk.OneOf(recordTypes...)},
				"ttl":    {Type: cty.Number, Optional: true, Default: cty.NumberIntVal(300), Validate: sdk.Between(1, 2147483647)},
				"values": {Type: cty.List(cty.String), Required: true, Description: "Addresses, a target name, or texts."},
				"fqdn":   {Type: cty.String, Computed: true},
				"id":     {Type: cty.String, Computed: true, Description: `"<name>/<type>", the ID to import with.`},
			},
		},
		Validate: validateRecord,
		Plan:     d.planRecord,
		Create:   d.createRecord,
		Read:     d.readRecord,
		Update:   d.updateRecord,
		Delete:   d.deleteRecord,
		Import:   d.importRecord,
	}
}

// planRecord fills in fqdn and id at plan time: both follow from the name
// and type, so the plan can show them instead of "known after apply".
func (d *dns) planRecord(ctx context.Context, p *sdk.Plan) error {
	name, typ := p.Get("name"), p.Get("type")
	if d.zone == nil || !name.IsKnown() || !typ.IsKnown() {
		return nil
	}
	p.Set("fqdn", cty.StringVal(d.fqdn(name.AsString())))
	p.Set("id", cty.StringVal(recordID(name.AsString(), typ.AsString())))
	return nil
}

func (d *dns) createRecord(ctx context.Context, r Record) (*Record, error) {
	err := d.zone.Update(func(z *zonefile.Zone) error {
		if _, exists := z.Get(r.Name, r.Type); exists {
			return fmt.Errorf("%s %s already exists in %s; import it with: berth import <address> %s",
				r.Name, r.Type, d.zone.Path, recordID(r.Name, r.Type))
		}
		if err := checkCNAME(z, r); err != nil {
			return err
		}
		z.Put(d.toSet(r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sdk.Progress(ctx, "wrote %s %s to %s", d.fqdn(r.Name), r.Type, d.zone.Path)
	return d.complete(r), nil
}

func (d *dns) readRecord(ctx context.Context, r Record) (*Record, error) {
	var out *Record
	err := d.zone.View(func(z *zonefile.Zone) error {
		rs, ok := z.Get(r.Name, r.Type)
		if !ok {
			return sdk.ErrNotFound
		}
		out = d.fromSet(rs)
		return nil
	})
	return out, err
}

func (d *dns) updateRecord(ctx context.Context, prior, r Record) (*Record, error) {
	err := d.zone.Update(func(z *zonefile.Zone) error {
		if err := checkCNAME(z, r); err != nil {
			return err
		}
		z.Put(d.toSet(r))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sdk.Progress(ctx, "updated %s %s in %s", d.fqdn(r.Name), r.Type, d.zone.Path)
	return d.complete(r), nil
}

func (d *dns) deleteRecord(ctx context.Context, r Record) error {
	return d.zone.Update(func(z *zonefile.Zone) error {
		z.Delete(r.Name, r.Type) // already gone is fine
		return nil
	})
}

func (d *dns) importRecord(ctx context.Context, id string) (*Record, error) {
	name, typ, ok := strings.Cut(id, "/")
	if !ok || name == "" || typ == "" {
		return nil, fmt.Errorf("import IDs look like <name>/<type>, e.g. www/A, not %q", id)
	}
	return d.readRecord(ctx, Record{Name: name, Type: strings.ToUpper(typ)})
}

func (d *dns) readZone(ctx context.Context, _ ZoneData) (*ZoneData, error) {
	var out ZoneData
	err := d.zone.View(func(z *zonefile.Zone) error {
		out = ZoneData{Serial: int64(z.Serial), RecordCount: int64(z.Records())}
		return nil
	})
	return &out, err
}

// toSet turns a record into its zone file form: TXT values are quoted there.
func (d *dns) toSet(r Record) zonefile.RecordSet {
	rs := zonefile.RecordSet{Name: r.Name, Type: r.Type, TTL: r.TTL}
	for _, v := range r.Values {
		if r.Type == "TXT" {
			v = zonefile.Quote(v)
		}
		rs.Values = append(rs.Values, v)
	}
	return rs
}

func (d *dns) fromSet(rs zonefile.RecordSet) *Record {
	r := &Record{Name: rs.Name, Type: rs.Type, TTL: rs.TTL}
	for _, v := range rs.Values {
		if rs.Type == "TXT" {
			v = zonefile.Unquote(v)
		}
		r.Values = append(r.Values, v)
	}
	return d.complete(*r)
}

func (d *dns) complete(r Record) *Record {
	r.FQDN = d.fqdn(r.Name)
	r.ID = recordID(r.Name, r.Type)
	return &r
}

func (d *dns) fqdn(name string) string {
	if name == "@" {
		return d.zone.Origin
	}
	return name + "." + d.zone.Origin
}

func recordID(name, typ string) string { return name + "/" + typ }

// checkCNAME enforces the DNS rule that a CNAME is alone at its name.
func checkCNAME(z *zonefile.Zone, r Record) error {
	for _, rs := range z.Sets {
		if !strings.EqualFold(rs.Name, r.Name) || strings.EqualFold(rs.Type, r.Type) {
			continue
		}
		if r.Type == "CNAME" || rs.Type == "CNAME" {
			return sdk.AttributeError(cty.GetAttrPath("type"), "CNAME conflict",
				fmt.Sprintf("%s already has a %s record; a CNAME cannot share its name with other records.", r.Name, rs.Type))
		}
	}
	return nil
}

var labelRE = regexp.MustCompile(`^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$`)

func relativeName(v cty.Value) error {
	s := v.AsString()
	if s == "@" || (labelRE.MatchString(s) && !strings.HasSuffix(s, ".")) {
		return nil
	}
	return fmt.Errorf(`must be "@" or a name relative to the zone (like "www" or "_acme.api"), not %q`, s)
}

func absoluteName(v cty.Value) error {
	s := v.AsString()
	if strings.HasSuffix(s, ".") && labelRE.MatchString(strings.TrimSuffix(s, ".")) {
		return nil
	}
	return fmt.Errorf(`must be an absolute name ending in a dot, like "example.com.", not %q`, s)
}

// validateRecord checks the values against the record type.
func validateRecord(ctx context.Context, r Record) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(r.Values) == 0 {
		return hcl.Diagnostics{sdk.AttributeError(cty.GetAttrPath("values"), "No values", "A record set needs at least one value.")}
	}
	if r.Type == "CNAME" && len(r.Values) != 1 {
		diags = append(diags, sdk.AttributeError(cty.GetAttrPath("values"), "Invalid CNAME", "A CNAME has exactly one target."))
	}
	for i, v := range r.Values {
		path := cty.GetAttrPath("values").Index(cty.NumberIntVal(int64(i)))
		if err := checkValue(r.Type, v); err != nil {
			diags = append(diags, sdk.AttributeError(path, "Invalid "+r.Type+" value", err.Error()))
		}
	}
	return diags
}

func checkValue(typ, v string) error {
	switch typ {
	case "A", "AAAA":
		addr, err := netip.ParseAddr(v)
		if err != nil || addr.Is4() != (typ == "A") || addr.Zone() != "" {
			want := "an IPv4 address"
			if typ == "AAAA" {
				want = "an IPv6 address"
			}
			return fmt.Errorf("%q is not %s", v, want)
		}
	case "CNAME":
		if !labelRE.MatchString(strings.TrimSuffix(v, ".")) {
			return fmt.Errorf("%q is not a host name", v)
		}
	case "TXT":
		if len(v) > 255 {
			return errors.New("a TXT string is at most 255 bytes")
		}
	}
	return nil
}
