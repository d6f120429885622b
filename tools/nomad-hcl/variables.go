// Variables and locals of a job file, evaluated as Nomad's parse API does.
//
// Facts from Nomad's jobspec2/types.variables.go and types.config.go at v1.10.5 (MPL-2.0; read, not copied):
// `variable "x" { type, default, description, validation }` and the plural `variables { x = <default> }` (its type
// is the default's); values from the request's Variables text (a var file named input.hcl, evaluated without
// variables or functions; an undeclared name is a warning because the parse API is not strict; a value is converted
// to the declared type); the last value wins; a variable without a value is "Unset variable" with no subject; locals
// may use variables, functions and each other in any order.
package main

import (
	"fmt"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

type validation struct {
	condition hcl.Expression
	message   string
	decl      hcl.Range
}

type variable struct {
	name        string
	typ         cty.Type
	values      []assignment
	validations []validation
	decl        hcl.Range
}

type assignment struct {
	from string
	val  cty.Value
	expr hcl.Expression
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "default"}, {Name: "type"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

func duplicate(name string) string { return "Duplicate " + name + " variable definition found." }

// declareBlock reads one `variable "name" { … }` block.
func (p *parser) declareBlock(b *hcl.Block) hcl.Diagnostics {
	name := b.Labels[0]
	if _, dup := p.vars[name]; dup {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate variable", Detail: duplicate(name), Context: b.DefRange.Ptr()}}
	}
	content, diags := b.Body.Content(variableSchema)
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail:  "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
			Subject: &b.LabelRanges[0]})
	}
	v := &variable{name: name, decl: b.DefRange}
	if a, ok := content.Attributes["description"]; ok {
		var s string
		diags = append(diags, gohcl.DecodeExpression(a.Expr, nil, &s)...)
	}
	if a, ok := content.Attributes["type"]; ok {
		t, more := typeexpr.Type(a.Expr)
		diags = append(diags, more...)
		if more.HasErrors() {
			return diags
		}
		v.typ = t
	}
	if a, ok := content.Attributes["default"]; ok {
		val, more := a.Expr.Value(nil)
		diags = append(diags, more...)
		if more.HasErrors() {
			return diags
		}
		if v.typ != cty.NilType {
			conv, err := convert.Convert(val, v.typ)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value for variable",
					Detail:  fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err),
					Subject: a.Expr.Range().Ptr()})
				conv = cty.DynamicVal
			}
			val = conv
		}
		v.values = append(v.values, assignment{"default", val, a.Expr})
		if v.typ == cty.NilType {
			v.typ = val.Type()
		}
	}
	for _, vb := range content.Blocks {
		vv, more := readValidation(name, vb)
		diags = append(diags, more...)
		v.validations = append(v.validations, vv)
	}
	p.vars[name] = v
	return diags
}

func readValidation(varName string, b *hcl.Block) (validation, hcl.Diagnostics) {
	vv := validation{decl: b.DefRange}
	content, diags := b.Body.Content(validationSchema)
	if a, ok := content.Attributes["condition"]; ok {
		vv.condition = a.Expr
		good := 0
		for _, t := range a.Expr.Variables() {
			if len(t) == 2 && t.RootName() == "var" {
				if step, ok := t[1].(hcl.TraverseAttr); ok && step.Name == varName {
					good++
					continue
				}
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference in variable validation",
				Detail:  fmt.Sprintf("The condition for variable %q can only refer to the variable itself, using var.%s.", varName, varName),
				Subject: t.SourceRange().Ptr()})
		}
		if good < 1 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable validation condition",
				Detail:  fmt.Sprintf("The condition for variable %q must refer to var.%s in order to test incoming values.", varName, varName),
				Subject: a.Expr.Range().Ptr()})
		}
	}
	if a, ok := content.Attributes["error_message"]; ok {
		more := gohcl.DecodeExpression(a.Expr, nil, &vv.message)
		diags = append(diags, more...)
		if !more.HasErrors() {
			bad := ""
			if vv.message == "" {
				bad = "An empty string is not a valid nor useful error message."
			} else if !sentence(vv.message) {
				bad = "Validation error message must be at least one full sentence starting with an uppercase letter ( if the alphabet permits it ) and ending with a period or question mark."
			}
			if bad != "" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid validation error message", Detail: bad, Subject: a.Expr.Range().Ptr()})
			}
		}
	}
	return vv, diags
}

func sentence(s string) bool {
	r := []rune(s)
	if unicode.IsLetter(r[0]) && !unicode.IsUpper(r[0]) {
		return false
	}
	last := r[len(r)-1]
	return last == '.' || last == '?' || last == '!'
}

// declarePlural reads a `variables { name = default … }` block: each default is evaluated without a scope.
func (p *parser) declarePlural(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	for _, a := range sortedAttrs(attrs) {
		if _, dup := p.vars[a.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate variable", Detail: duplicate(a.Name), Subject: a.NameRange.Ptr()})
			continue
		}
		val, more := a.Expr.Value(nil)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		p.vars[a.Name] = &variable{name: a.Name, typ: val.Type(), values: []assignment{{"default", val, a.Expr}}, decl: a.Range}
	}
	return diags
}

// assignFromVarFile applies the request's Variables text (already parsed as input.hcl).
func (p *parser) assignFromVarFile(f *hcl.File) hcl.Diagnostics {
	var diags hcl.Diagnostics
	content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}}})
	for _, b := range content.Blocks {
		name := b.Labels[0]
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Variable declaration in a .var file",
			Detail: fmt.Sprintf("A .var file is used to assign values to variables that have already been declared in job files, "+
				"not to declare new variables. To declare variable %q, place this block in one of your job files\n\n"+
				"To set a value for this variable in %s, use the definition syntax instead:\n    %s = <value>", name, b.TypeRange.Filename, name),
			Subject: &b.TypeRange})
	}
	if diags.HasErrors() {
		return diags
	}
	attrs, more := f.Body.JustAttributes()
	diags = append(diags, more...)
	for _, a := range sortedAttrs(attrs) {
		v, ok := p.vars[a.Name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Undefined variable",
				Detail:  fmt.Sprintf("A %q variable was set but was not found in known variables. To declare variable %q, place this block in your job files", a.Name, a.Name),
				Context: a.Range.Ptr()})
			continue
		}
		val, more := a.Expr.Value(nil)
		diags = append(diags, more...)
		if v.typ != cty.NilType {
			conv, err := convert.Convert(val, v.typ)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
					Detail:  fmt.Sprintf("The value for %s is not compatible with the variable's type constraint: %s.", a.Name, err),
					Subject: a.Expr.Range().Ptr()})
				conv = cty.DynamicVal
			}
			val = conv
		}
		v.values = append(v.values, assignment{"varfile", val, a.Expr})
	}
	return diags
}

// value is the variable's last assignment, checked by its validation rules.
func (v *variable) value(docsURL string) (cty.Value, hcl.Diagnostics) {
	if len(v.values) == 0 {
		return cty.UnknownVal(v.typ), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Unset variable %q", v.name),
			Detail:  "A used variable must be set or have a default value; see " + docsURL + " for details.",
			Context: v.decl.Ptr()}}
	}
	last := v.values[len(v.values)-1]
	return last.val, v.validate(last)
}

func (v *variable) validate(a assignment) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: a.val})}, Functions: nomadFunctions()}
	for _, r := range v.validations {
		if r.condition == nil {
			continue
		}
		res, more := r.condition.Value(ctx)
		diags = append(diags, more...)
		if !res.IsKnown() {
			continue
		}
		if res.IsNull() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable validation result",
				Detail: "Validation condition expression must return either true or false, not null.", Subject: r.condition.Range().Ptr()})
			continue
		}
		b, err := convert.Convert(res, cty.Bool)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable validation result",
				Detail: fmt.Sprintf("Invalid validation condition result value: %s.", err), Subject: r.condition.Range().Ptr()})
			continue
		}
		if b.False() {
			subject := r.decl.Ptr()
			if a.expr != nil {
				subject = a.expr.Range().Ptr()
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid value for %s variable", a.from),
				Detail: fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", r.message, r.decl.String()), Subject: subject})
		}
	}
	return diags
}

// varValues is the `var` object; diagnostics only when asked (Nomad reports them once).
func (p *parser) varValues() (map[string]cty.Value, hcl.Diagnostics) {
	out := map[string]cty.Value{}
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(p.vars) {
		val, more := p.vars[name].value(p.docsURL)
		diags = append(diags, more...)
		out[name] = val
	}
	return out, diags
}

type local struct {
	name string
	expr hcl.Expression
}

// readLocals collects `locals { … }` attributes; a name defined twice is an error.
func (p *parser) readLocals(b *hcl.Block) hcl.Diagnostics {
	attrs, diags := b.Body.JustAttributes()
	for _, a := range sortedAttrs(attrs) {
		for _, l := range p.pendingLocals {
			if l.name == a.Name {
				return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate value in locals",
					Detail: "Duplicate " + a.Name + " definition found.", Subject: a.NameRange.Ptr(), Context: b.DefRange.Ptr()})
			}
		}
		p.pendingLocals = append(p.pendingLocals, local{a.Name, a.Expr})
	}
	return diags
}

// evalLocals evaluates locals until all have a value or a whole round makes no progress (a cycle, or an error):
// then the first one still failing is reported.
func (p *parser) evalLocals() hcl.Diagnostics {
	pending := p.pendingLocals
	for len(pending) > 0 {
		var next []local
		var firstErr hcl.Diagnostics
		for _, l := range pending {
			val, diags := l.expr.Value(p.evalContext())
			if diags.HasErrors() {
				if firstErr == nil {
					firstErr = diags
				}
				next = append(next, l)
				continue
			}
			p.locals[l.name] = val
		}
		if len(next) == len(pending) {
			return firstErr
		}
		pending = next
	}
	return nil
}
