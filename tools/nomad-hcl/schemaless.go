// Blocks without a schema (a task driver's `config`, a scaling `policy`) are read as attributes, as in Nomad.
//
// Facts from Nomad's jobspec2/hclutil/blockattrs.go and parse_map.go at v1.10.5 (MPL-2.0; read, not copied): such a
// body (decoded into a map[string]interface{}) is read with JustAttributes through a wrapper that turns each group of
// nested blocks of one type into an attribute holding a list of objects (a block's labels become nested
// `{label = [object]}` keys, innermost first), and an attribute whose expression is an object literal into a
// one-element list; nested blocks' own attributes get the same treatment. So `port_map { http = 8080 }` and
// `labels = { a = "b" }` both become lists, and a `dynamic` block inside `config` is not expanded: it becomes a
// "dynamic" key. Here the syntax tree is rewritten that way before dynamic blocks are expanded, so that
// expressions inside still see the iterators of enclosing dynamic blocks.
package main

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var schemaless = map[string]bool{"config": true, "policy": true}

func flattenSchemaless(b *hclsyntax.Body) {
	for _, blk := range b.Blocks {
		switch {
		case schemaless[blk.Type]:
			asAttributes(blk.Body)
		case blk.Type == "dynamic" && len(blk.Labels) == 1 && schemaless[blk.Labels[0]]:
			for _, c := range blk.Body.Blocks {
				if c.Type == "content" {
					asAttributes(c.Body)
				}
			}
		default:
			flattenSchemaless(blk.Body)
		}
	}
}

// asAttributes rewrites a body in place: object literals wrapped in a list, blocks turned into attributes (a block
// type wins over an attribute of the same name).
func asAttributes(body *hclsyntax.Body) {
	for _, a := range body.Attributes {
		a.Expr = listOfObjectLiteral(a.Expr)
	}
	for _, group := range blocksByType(body.Blocks) {
		first := group[0]
		body.Attributes[first.Type] = &hclsyntax.Attribute{
			Name:        first.Type,
			Expr:        blocksAsList(group),
			SrcRange:    first.Body.SrcRange,
			NameRange:   first.TypeRange,
			EqualsRange: first.OpenBraceRange,
		}
	}
	body.Blocks = nil
}

func blocksByType(blocks hclsyntax.Blocks) []hclsyntax.Blocks {
	var order []string
	byType := map[string]hclsyntax.Blocks{}
	for _, b := range blocks {
		if _, ok := byType[b.Type]; !ok {
			order = append(order, b.Type)
		}
		byType[b.Type] = append(byType[b.Type], b)
	}
	out := make([]hclsyntax.Blocks, len(order))
	for i, t := range order {
		out[i] = byType[t]
	}
	return out
}

func listOfObjectLiteral(e hclsyntax.Expression) hclsyntax.Expression {
	if _, ok := e.(*hclsyntax.ObjectConsExpr); ok {
		return &hclsyntax.TupleConsExpr{Exprs: []hclsyntax.Expression{e}, SrcRange: e.Range(), OpenRange: e.StartRange()}
	}
	return e
}

func blocksAsList(blocks hclsyntax.Blocks) hclsyntax.Expression {
	exprs := make([]hclsyntax.Expression, len(blocks))
	for i, b := range blocks {
		exprs[i] = blockAsObject(b)
	}
	last := blocks[len(blocks)-1]
	return &hclsyntax.TupleConsExpr{Exprs: exprs, SrcRange: hcl.RangeBetween(blocks[0].OpenBraceRange, last.CloseBraceRange), OpenRange: blocks[0].OpenBraceRange}
}

func literalKey(name string, r hcl.Range) *hclsyntax.ObjectConsKeyExpr {
	return &hclsyntax.ObjectConsKeyExpr{Wrapped: &hclsyntax.ScopeTraversalExpr{
		Traversal: hcl.Traversal{hcl.TraverseRoot{Name: name, SrcRange: r}}, SrcRange: r}}
}

func blockAsObject(b *hclsyntax.Block) hclsyntax.Expression {
	var items []hclsyntax.ObjectConsItem
	for _, name := range sortedKeys(b.Body.Attributes) {
		a := b.Body.Attributes[name]
		items = append(items, hclsyntax.ObjectConsItem{KeyExpr: literalKey(name, a.NameRange), ValueExpr: listOfObjectLiteral(a.Expr)})
	}
	for _, group := range blocksByType(b.Body.Blocks) {
		items = append(items, hclsyntax.ObjectConsItem{KeyExpr: literalKey(group[0].Type, group[0].TypeRange), ValueExpr: blocksAsList(group)})
	}
	var v hclsyntax.Expression = &hclsyntax.ObjectConsExpr{Items: items, SrcRange: b.Body.SrcRange, OpenRange: b.OpenBraceRange}
	for i := len(b.Labels) - 1; i >= 0; i-- {
		inner := &hclsyntax.TupleConsExpr{Exprs: []hclsyntax.Expression{v}, SrcRange: v.Range(), OpenRange: v.StartRange()}
		v = &hclsyntax.ObjectConsExpr{Items: []hclsyntax.ObjectConsItem{{KeyExpr: literalKey(b.Labels[i], b.LabelRanges[i]), ValueExpr: inner}},
			SrcRange: b.Body.SrcRange, OpenRange: b.OpenBraceRange}
	}
	return v
}
