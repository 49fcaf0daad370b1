package hclvalue

import (
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

func secret(v cty.Value) cty.Value { return v.Mark(providers.SensitiveMark) }

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want string
	}{
		{"null", cty.NullVal(cty.String), `null`},
		{"string", cty.StringVal(`say "hi"`), `"say \"hi\""`},
		{"template sequences escaped", cty.StringVal("${a} %{b}"), `"$${a} %%{b}"`},
		{"integer", cty.NumberIntVal(8080), `8080`},
		{"fraction", cty.NumberFloatVal(0.5), `0.5`},
		{"large number in full", cty.MustParseNumberVal("1e21"), `1000000000000000000000`},
		{"bool", cty.True, `true`},
		{"unknown", cty.UnknownVal(cty.String), UnknownPlaceholder},
		{"sensitive", secret(cty.StringVal("hunter2")), SensitivePlaceholder},
		{"set with a sensitive element", cty.SetVal([]cty.Value{cty.StringVal("a"), secret(cty.StringVal("hunter2"))}), SensitivePlaceholder},
		{"empty list", cty.ListValEmpty(cty.String), `[]`},
		{"empty map", cty.MapValEmpty(cty.String), `{}`},
		{"object of nulls", cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String)}), `{}`},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("edge-1"), cty.StringVal("edge-2")}), `[
    "edge-1",
    "edge-2",
]`},
		{"map keys quoted and aligned, null elements kept", cty.MapVal(map[string]cty.Value{
			"LOG_LEVEL": cty.StringVal("info"), "A": cty.NullVal(cty.String), "TOKEN": secret(cty.StringVal("hunter2")),
		}), `{
    "A"         = null
    "LOG_LEVEL" = "info"
    "TOKEN"     = (sensitive value)
}`},
		{"object: null attributes left out, odd names quoted", cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("web"), "note": cty.NullVal(cty.String), "2nd name": cty.StringVal("x"),
		}), `{
    "2nd name" = "x"
    name       = "web"
}`},
		{"nested list of objects", cty.ObjectVal(map[string]cty.Value{
			"ports": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("http"), "container": cty.NumberIntVal(8080)})}),
		}), `{
    ports = [
        {
            container = 8080
            name      = "http"
        },
    ]
}`},
		{"heredoc", cty.ObjectVal(map[string]cty.Value{"script": cty.StringVal("#!/bin/sh\necho ${HOME}\n")}), `{
    script = <<-EOT
        #!/bin/sh
        echo $${HOME}
    EOT
}`},
		{"heredoc list element", cty.ListVal([]cty.Value{cty.StringVal("a\nb")}), `[
    <<-EOT
        a
        b
    EOT,
]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.v); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if strings.Contains(Format(tt.v), "hunter2") {
				t.Error("a sensitive value is shown")
			}
		})
	}
}

// TestLinesMarker checks the layout a plan's diff gets: the marker two
// columns before every nested key, the value closed at the entry's key.
func TestLinesMarker(t *testing.T) {
	v := cty.ObjectVal(map[string]cty.Value{
		"env":  cty.MapVal(map[string]cty.Value{"A": cty.StringVal("b")}),
		"args": cty.ListVal([]cty.Value{cty.StringVal("serve")}),
	})
	head, tail := Lines(8, "+", v)
	got := head + "\n" + strings.Join(tail, "\n")
	want := `{
          + args = [
              + "serve",
            ]
          + env  = {
              + "A" = "b"
            }
        }`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestEntryLines(t *testing.T) {
	got := strings.Join(EntryLines(4, []Entry{
		{Marker: "~", Key: "image", Head: `"a" -> "b"`, Comment: "# forces replacement"},
		{Marker: " ", Key: "id", Head: `"web"`},
		{Raw: "# (2 unchanged attributes hidden)"},
		{Marker: "+", Elem: true, Head: `"x"`},
	}), "\n")
	want := `  ~ image = "a" -> "b" # forces replacement
    id    = "web"
    # (2 unchanged attributes hidden)
  + "x",`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBlockHeader(t *testing.T) {
	tests := []struct {
		addr addrs.Resource
		want string
	}{
		{addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}, `app "web"`},
		{addrs.Resource{Mode: addrs.Managed, Type: "acmedns_record", Name: "www"}, `resource "acmedns_record" "www"`},
		{addrs.Resource{Mode: addrs.Data, Type: "acmedns_zone", Name: "main"}, `data "acmedns_zone" "main"`},
	}
	for _, tt := range tests {
		if got := BlockHeader(tt.addr.Instance(addrs.IntKey(1))); got != tt.want {
			t.Errorf("BlockHeader(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
