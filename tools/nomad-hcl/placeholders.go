// References to names the job file does not define stay text, as in Nomad.
//
// Fact from Nomad's jobspec2/types.config.go at v1.10.5 (MPL-2.0; read, not copied): its EvalContext (with Nomad's
// fork of hcl, which calls UndefinedVariable for a root name no scope defines) turns such a reference into the
// string of its source text inside "${…}": the text from a "${" found just before it (only spaces between) up to the
// spaces and "}" after it, else the reference wrapped in "${" "}". Upstream hcl has no such hook, so here every
// reference in the file whose root is not var or local gets that text as a value in the scope (nested objects for
// attribute steps and string index steps). Scopes that dynamic blocks and for expressions open shadow these, as they would in Nomad.
// Departures: when one path is written with different spacing, the first text is used for all; a path used both
// whole and with more steps (node.unique and node.unique.name) keeps the longer one.
package main

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

type tree struct {
	leaf     string
	hasLeaf  bool
	children map[string]*tree
	order    []string
}

func placeholders(file *hclsyntax.Body, src []byte) map[string]cty.Value {
	roots := map[string]*tree{}
	hclsyntax.VisitAll(file, func(n hclsyntax.Node) hcl.Diagnostics {
		ste, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok {
			return nil
		}
		t := ste.Traversal
		root := t.RootName()
		if root == "var" || root == "local" {
			return nil
		}
		node := roots[root]
		if node == nil {
			node = &tree{}
			roots[root] = node
		}
		for _, step := range t[1:] {
			name, ok := stepName(step)
			if !ok {
				break
			}
			if node.children == nil {
				node.children = map[string]*tree{}
			}
			next := node.children[name]
			if next == nil {
				next = &tree{}
				node.children[name] = next
			}
			node = next
		}
		if !node.hasLeaf {
			node.leaf, node.hasLeaf = referenceText(src, t.SourceRange()), true
		}
		return nil
	})
	out := map[string]cty.Value{}
	for name, t := range roots {
		out[name] = t.value()
	}
	return out
}

// stepName is the attribute a step reads: `.name`, or `["name"]` (an object answers both); other steps end the path.
func stepName(step hcl.Traverser) (string, bool) {
	switch s := step.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func (t *tree) value() cty.Value {
	if len(t.children) == 0 {
		return cty.StringVal(t.leaf)
	}
	attrs := map[string]cty.Value{}
	for k, c := range t.children {
		attrs[k] = c.value()
	}
	return cty.ObjectVal(attrs)
}

// referenceText is the "${…}" text Nomad gives an undefined reference at r.
func referenceText(src []byte, r hcl.Range) string {
	start, end := r.Start.Byte, r.End.Byte
	if start < 0 || end > len(src) || start > end {
		return ""
	}
	v := string(src[start:end])
	bracketed := false
	for i := start - 1; i >= 1; i-- {
		if src[i] == '{' && src[i-1] == '$' {
			bracketed = true
			v = string(src[i-1:start]) + v
			break
		} else if src[i] != ' ' {
			break
		}
	}
	if !bracketed {
		return "${" + v + "}"
	}
	for i := end + 1; i < len(src); i++ {
		if src[i] == '}' {
			v += string(src[end:i])
		} else if src[i] != ' ' {
			v += "}"
			break
		}
	}
	return v
}
