package jsondoc

import (
	"encoding/json"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// TestExpression checks Terraform's expression representation of
// arguments: a constant when nothing is referred to, else the references
// unwrapped down to the object.
func TestExpression(t *testing.T) {
	tests := []struct {
		src    string
		secret bool
		want   string
	}{
		{`6`, false, `{"constant_value":6}`},
		{`null`, false, `{"constant_value":null}`},
		{`["a", { b = true }]`, false, `{"constant_value":["a",{"b":true}]}`},
		{`"x"`, true, `{}`},
		{`upper("a")`, false, `{}`},
		{`var.tag`, false, `{"references":["var.tag"]}`},
		{`"${registry.harbor.address}/web:${var.tag}"`, false, `{"references":["registry.harbor.address","registry.harbor","var.tag"]}`},
		{`app.web[0].ports[1].name`, false, `{"references":["app.web[0].ports[1].name","app.web[0].ports[1]","app.web[0].ports","app.web[0]","app.web"]}`},
		{`acmedns_record.www["eu"].id`, false, `{"references":["acmedns_record.www[\"eu\"].id","acmedns_record.www[\"eu\"]","acmedns_record.www"]}`},
		{`data.acmedns_zone.main.id`, false, `{"references":["data.acmedns_zone.main.id","data.acmedns_zone.main"]}`},
		{`"web-${count.index}"`, false, `{"references":["count.index"]}`},
		{`var.a + var.a`, false, `{"references":["var.a"]}`},
		{`var.password`, true, `{"references":["var.password"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, diags := hclsyntax.ParseExpression([]byte(tt.src), "t.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, err := json.Marshal(newExpression(e, tt.secret))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestBodyExpressionsJSON: a body in HCL's JSON form has its arguments'
// expressions too (nested objects as constants).
func TestBodyExpressionsJSON(t *testing.T) {
	f, diags := hcljson.Parse([]byte(`{"image": "web:${var.tag}", "replicas": 2, "env": {"A": "b"}}`), "main.berth.json")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, err := json.Marshal(bodyExpressions(f.Body, nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"env":{"constant_value":{"A":"b"}},"image":{"references":["var.tag"]},"replicas":{"constant_value":2}}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
