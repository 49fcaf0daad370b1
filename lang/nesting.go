package lang

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is the deepest nesting of brackets ( [ { and template
// interpolations the parsers are given. HCL's parsers (native and JSON)
// recurse once per level and a stack overflow in Go is fatal, not a
// recoverable panic, so deeper input is refused before parsing.
const MaxNesting = 2000

// CheckNesting scans src cheaply (one pass, no allocation per byte) and
// returns an error diagnostic at the position where the nesting of ( [ {
// and ${ } first exceeds MaxNesting. Files named *.json are scanned as
// JSON, others as native HCL (comments, quoted templates and heredocs are
// understood well enough not to count brackets in comments and literal
// text). Callers run it before hclsyntax, hclwrite or HCL's JSON parser.
func CheckNesting(src []byte, filename string) hcl.Diagnostics {
	return checkNesting(src, filename, hcl.InitialPos, strings.HasSuffix(filename, ".json"), false)
}

// checkTemplateNesting is CheckNesting for a template (templatefile): the
// source starts as literal text.
func checkTemplateNesting(src []byte, filename string) hcl.Diagnostics {
	return checkNesting(src, filename, hcl.InitialPos, false, true)
}

// frame kinds of the scanner's stack
const (
	frBracket  = iota // ( [ { in an expression
	frInterp          // ${ or %{ ... }
	frQuoted          // "..." in HCL
	frHeredoc         // <<EOT ... EOT
	frTemplate        // a whole template file (never popped)
	frJSONStr         // "..." in JSON
)

type nestFrame struct {
	kind   int
	marker []byte // heredoc terminator
}

func checkNesting(src []byte, filename string, start hcl.Pos, json, template bool) hcl.Diagnostics {
	var stack []nestFrame
	if template {
		stack = append(stack, nestFrame{kind: frTemplate})
	}
	pos := start
	lineStart := true
	jsonStrs := 0 // frJSONStr frames on the stack
	// advance moves past n bytes, keeping line and column.
	advance := func(n int) {
		for k := 0; k < n && pos.Byte-start.Byte < len(src); k++ {
			c := src[pos.Byte-start.Byte]
			pos.Byte++
			switch {
			case c == '\n':
				pos.Line++
				pos.Column = 1
				lineStart = true
			case c&0xC0 != 0x80: // not a UTF-8 continuation byte
				pos.Column++
				lineStart = false
			}
		}
	}
	push := func(f nestFrame) hcl.Diagnostics {
		stack = append(stack, f)
		if len(stack) > MaxNesting {
			rng := hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}}
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Expression nested too deeply",
				Detail:   fmt.Sprintf("Brackets, braces, parentheses and template interpolations may be nested at most %d levels deep; this one is level %d. Use locals to split the expression.", MaxNesting, len(stack)),
				Subject:  &rng,
			}}
		}
		return nil
	}
	top := func() int {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1].kind
	}
	at := func(i int) byte {
		if i < len(src) {
			return src[i]
		}
		return 0
	}
	for pos.Byte-start.Byte < len(src) {
		i := pos.Byte - start.Byte
		c := src[i]
		switch top() {
		case frQuoted, frJSONStr, frHeredoc, frTemplate:
			kind := top()
			if kind == frHeredoc && lineStart {
				f := stack[len(stack)-1]
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					end = len(src) - i
				}
				if bytes.Equal(bytes.TrimSpace(src[i:i+end]), f.marker) {
					stack = stack[:len(stack)-1]
					advance(end)
					continue
				}
			}
			switch {
			case c == '\\' && (kind == frQuoted || kind == frJSONStr):
				advance(2)
			case c == '"' && (kind == frQuoted || kind == frJSONStr):
				stack = stack[:len(stack)-1]
				if kind == frJSONStr {
					jsonStrs--
				}
				advance(1)
			case c == '\n' && kind == frQuoted:
				stack = stack[:len(stack)-1] // unterminated: the parser reports it
				advance(1)
			case (c == '$' || c == '%') && at(i+1) == c && at(i+2) == '{':
				advance(3) // escaped $${ or %%{
			case (c == '$' || c == '%') && at(i+1) == '{':
				if d := push(nestFrame{kind: frInterp}); d != nil {
					return d
				}
				advance(2)
			default:
				advance(1)
			}
			continue
		}
		// expression (or body, or JSON value) context
		inJSONStr := jsonStrs > 0
		switch {
		case json && inJSONStr && c == '\\':
			advance(2)
		case json && inJSONStr && c == '"':
			// the JSON string ends, whatever is open inside it
			for len(stack) > 0 && stack[len(stack)-1].kind != frJSONStr {
				stack = stack[:len(stack)-1]
			}
			stack = stack[:len(stack)-1]
			jsonStrs--
			advance(1)
		case json && c == '"':
			if d := push(nestFrame{kind: frJSONStr}); d != nil {
				return d
			}
			jsonStrs++
			advance(1)
		case !json && c == '#', !json && c == '/' && at(i+1) == '/':
			end := bytes.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			advance(end)
		case !json && c == '/' && at(i+1) == '*':
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				end = len(src) - i - 2
			}
			advance(end + 4)
		case !json && c == '"':
			if d := push(nestFrame{kind: frQuoted}); d != nil {
				return d
			}
			advance(1)
		case !json && c == '<' && at(i+1) == '<':
			j := i + 2
			if at(j) == '-' {
				j++
			}
			k := j
			for k < len(src) && (isIdentByte(src[k])) {
				k++
			}
			if k > j && (at(k) == '\n' || at(k) == '\r') {
				if d := push(nestFrame{kind: frHeredoc, marker: src[j:k]}); d != nil {
					return d
				}
				advance(k - i)
				if at(k) == '\r' {
					advance(1)
				}
				advance(1) // the newline: the body starts on the next line
			} else {
				advance(2)
			}
		case c == '(' || c == '[' || c == '{':
			if d := push(nestFrame{kind: frBracket}); d != nil {
				return d
			}
			advance(1)
		case c == ')' || c == ']' || c == '}':
			if len(stack) > 0 && (top() == frBracket || top() == frInterp) {
				stack = stack[:len(stack)-1]
			}
			advance(1)
		default:
			advance(1)
		}
	}
	return nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
