package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	// The built-in platforms and state backends register themselves: the
	// cluster kinds, default providers and backends the language knows
	// are the berth binary's.
	_ "github.com/berth-sh/berth/providers/builtin/all"
	_ "github.com/berth-sh/berth/state/backend/all"
)

func parseExpr(src string) (hcl.Expression, hcl.Diagnostics) {
	return hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
}
