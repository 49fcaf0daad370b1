package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	// The built-in platforms register themselves: the cluster kinds and
	// default providers the language knows are the berth binary's.
	_ "github.com/berth-sh/berth/providers/builtin/all"
)

func parseExpr(src string) (hcl.Expression, hcl.Diagnostics) {
	return hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
}
