// Command nomad-hcl evaluates an HCL2 job file the way Nomad's POST /v1/jobs/parse does, for the Nomad test double
// (test-support/nomad-double/jobspec.ts maps its output to api.Job).
//
// stdin:  {"JobHCL": "<job file>", "Variables": "<var file text>", "UnsetDocs": "<docs URL of Unset variable>"}
// stdout: {"error": "<Nomad's message after 'Failed to parse job: '>"} or
//
//	{"job": {"labels": ["web"], "range": "input.hcl:1,1-10", "body": Body}}
//	Body  = {"attrs": {"<name>": {"value": <JSON>, "range": "input.hcl:L,C-L,C", "start": "…", "nameRange": "…"}},
//	         "blocks": [{"type": "group", "labels": ["web"], "range": "…", "typeRange": "…", "openBrace": "…",
//	                     "labelRanges": ["…"], "body": Body}, …]}
//	(ranges in hcl's "file:line,column-…" form; start is the expression's first token, as gohcl's errors point to it)
//
// Blocks are in source order, `dynamic` blocks already expanded (hcl/v2 ext/dynblock, as Nomad does for the job
// block); the bodies of `config` and `policy` blocks hold attributes only (see schemaless.go). Values are fully
// evaluated: variables, locals and Nomad's functions; a reference to anything else (`${NOMAD_TASK_DIR}`,
// `${attr.kernel.name}`) stays the text `${…}` as in Nomad (jobspec2/types.config.go EvalContext's
// UndefinedVariable, which needs Nomad's fork of hcl; here the same texts are values in the scope).
// Exit status 0 for both answers; non-zero for a bug of ours, or 3 for a job in HCL's JSON syntax (not modelled).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type request struct {
	JobHCL    string
	Variables string
	UnsetDocs string
}

type parser struct {
	src           []byte
	docsURL       string
	vars          map[string]*variable
	locals        map[string]cty.Value
	pendingLocals []local
	placeholders  map[string]cty.Value
}

func main() {
	var req request
	raw, err := io.ReadAll(os.Stdin)
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nomad-hcl: reading the request:", err)
		os.Exit(2)
	}
	if req.UnsetDocs == "" {
		req.UnsetDocs = "https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables"
	}
	out, err := json.Marshal(run(req))
	if err != nil {
		fmt.Fprintln(os.Stderr, "nomad-hcl: encoding the answer:", err)
		os.Exit(2)
	}
	os.Stdout.Write(append(out, '\n'))
}

type answer struct {
	Error string `json:"error,omitempty"`
	Job   *block `json:"job,omitempty"`
}

type attr struct {
	Value     json.RawMessage `json:"value"`
	Range     string          `json:"range"`
	Start     string          `json:"start"`
	NameRange string          `json:"nameRange"`
}

type body struct {
	Attrs  map[string]attr `json:"attrs"`
	Blocks []block         `json:"blocks"`
}

type block struct {
	Type   string   `json:"type"`
	Labels []string `json:"labels"`
	Range  string   `json:"range"`
	TypeR  string   `json:"typeRange"`
	Brace  string   `json:"openBrace"`
	LabelR []string `json:"labelRanges"`
	Body   body     `json:"body"`
}

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variables"}, {Type: "variable", LabelNames: []string{"name"}}, {Type: "locals"}, {Type: "job", LabelNames: []string{"name"}},
}}

// run follows the order of Nomad's jobspec2 decode: both files parsed (the Variables' syntax errors first), then
// declarations, locals, values, and the job block.
func run(req request) answer {
	if isJSON([]byte(req.JobHCL)) {
		fmt.Fprintln(os.Stderr, "nomad-hcl: a job in HCL's JSON syntax is not modelled by the Nomad test double")
		os.Exit(3)
	}
	file, diags := hclsyntax.ParseConfig([]byte(req.JobHCL), "input.hcl", hcl.Pos{Line: 1, Column: 1})
	var varFile *hcl.File
	if req.Variables != "" {
		f, vd := parseSource([]byte(req.Variables))
		if vd.HasErrors() {
			return answer{Error: "unable to parse var content: " + vd.Error()}
		}
		varFile = f
	}
	if diags.HasErrors() {
		return answer{Error: diags.Error()}
	}
	p := &parser{src: []byte(req.JobHCL), docsURL: req.UnsetDocs, vars: map[string]*variable{}, locals: map[string]cty.Value{}}
	if sb, ok := file.Body.(*hclsyntax.Body); ok {
		p.placeholders = placeholders(sb, p.src)
	}
	content, cd := file.Body.Content(topSchema)
	if len(cd) != 0 {
		return answer{Error: joined(cd)}
	}
	diags = nil
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			diags = append(diags, p.declareBlock(b)...)
		case "variables":
			diags = append(diags, p.declarePlural(b)...)
		}
	}
	for _, b := range content.Blocks {
		if b.Type == "locals" {
			diags = append(diags, p.readLocals(b)...)
		}
	}
	if varFile != nil {
		diags = append(diags, p.assignFromVarFile(varFile)...)
	}
	_, vd := p.varValues()
	diags = append(diags, vd...)
	diags = append(diags, p.evalLocals()...)
	if diags.HasErrors() {
		return answer{Error: joined(diags)}
	}
	job, jd := p.job(content)
	diags = append(diags, jd...)
	if diags.HasErrors() {
		return answer{Error: joined(diags)}
	}
	return answer{Job: job}
}

// parseSource reads the Variables text as Nomad does (jobspec2/parse.go parseHCLOrJSON): HCL's JSON syntax when the
// first character that is not a space is "{", else native syntax.
func parseSource(src []byte) (*hcl.File, hcl.Diagnostics) {
	if isJSON(src) {
		return hcljson.Parse(src, "input.hcl")
	}
	return hclsyntax.ParseConfig(src, "input.hcl", hcl.Pos{Line: 1, Column: 1})
}

func isJSON(src []byte) bool {
	for _, c := range src {
		if c != ' ' {
			return c == '{'
		}
	}
	return false
}

// joined is how Nomad reports the diagnostics of decoding: every one (warnings too), one a line.
func joined(diags hcl.Diagnostics) string {
	lines := make([]string, len(diags))
	for i, d := range diags {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

func (p *parser) evalContext() *hcl.EvalContext {
	vars, _ := p.varValues()
	scope := map[string]cty.Value{}
	for k, v := range p.placeholders {
		scope[k] = v
	}
	scope["var"] = cty.ObjectVal(vars)
	scope["local"] = cty.ObjectVal(p.locals)
	return &hcl.EvalContext{Variables: scope, Functions: scopeFunctions}
}

var scopeFunctions = nomadFunctions()

func (p *parser) job(content *hcl.BodyContent) (*block, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var found *hcl.Block
	var out *block
	for _, b := range content.Blocks {
		if b.Type != "job" {
			continue
		}
		if found != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate job block",
				Detail:  fmt.Sprintf("Only one block of type %q is allowed. Previous definition was at %s.", "job", found.DefRange.String()),
				Subject: &b.DefRange})
			continue
		}
		found = b
		sb, ok := b.Body.(*hclsyntax.Body)
		if !ok {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "nomad-hcl: not native syntax"})
		}
		flattenSchemaless(sb)
		schemas := map[string]*shape{}
		collectShapes(sb, "job", schemas)
		ctx := p.evalContext()
		bd, more := p.body(dynblock.Expand(b.Body, ctx), "job", schemas, ctx)
		diags = append(diags, more...)
		out = &block{Type: "job", Labels: b.Labels, Range: b.DefRange.String(), TypeR: b.TypeRange.String(), Brace: p.openBrace(b),
			LabelR: rangeTexts(b.LabelRanges), Body: bd}
	}
	if found == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing job block", Detail: "A job block is required"})
	}
	return out, diags
}

// shape is what the bodies at one path of block types (job/group/task/…) hold, across the file: the schema that
// reads them (a union, so every attribute and block is optional).
type shape struct {
	attrs  map[string]bool
	blocks map[string]int // type → number of labels
}

func shapeAt(all map[string]*shape, path string) *shape {
	s := all[path]
	if s == nil {
		s = &shape{attrs: map[string]bool{}, blocks: map[string]int{}}
		all[path] = s
	}
	return s
}

// collectShapes records the attributes and block types under path; a `dynamic "x"` block counts as blocks of type x
// (labels from its `labels` list), its `content` as their body.
func collectShapes(b *hclsyntax.Body, path string, all map[string]*shape) {
	s := shapeAt(all, path)
	for name := range b.Attributes {
		s.attrs[name] = true
	}
	for _, blk := range b.Blocks {
		if blk.Type == "dynamic" && len(blk.Labels) == 1 {
			t := blk.Labels[0]
			n := 0
			if a, ok := blk.Body.Attributes["labels"]; ok {
				if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
					n = len(tup.Exprs)
				}
			}
			if n > s.blocks[t] {
				s.blocks[t] = n
			} else if _, ok := s.blocks[t]; !ok {
				s.blocks[t] = n
			}
			for _, c := range blk.Body.Blocks {
				if c.Type == "content" {
					collectShapes(c.Body, path+"/"+t, all)
				}
			}
			continue
		}
		if len(blk.Labels) > s.blocks[blk.Type] {
			s.blocks[blk.Type] = len(blk.Labels)
		} else if _, ok := s.blocks[blk.Type]; !ok {
			s.blocks[blk.Type] = len(blk.Labels)
		}
		collectShapes(blk.Body, path+"/"+blk.Type, all)
	}
}

func (s *shape) schema() *hcl.BodySchema {
	out := &hcl.BodySchema{}
	for _, name := range sortedKeys(s.attrs) {
		out.Attributes = append(out.Attributes, hcl.AttributeSchema{Name: name})
	}
	for _, t := range sortedKeys(s.blocks) {
		labels := make([]string, s.blocks[t])
		for i := range labels {
			labels[i] = "name" // Nomad's labelled blocks all call their label "name" (the hcl tags of api/)
		}
		out.Blocks = append(out.Blocks, hcl.BlockHeaderSchema{Type: t, LabelNames: labels})
	}
	return out
}

// body evaluates every attribute and reads every block (recursively) of an expanded body.
func (p *parser) body(b hcl.Body, path string, shapes map[string]*shape, ctx *hcl.EvalContext) (body, hcl.Diagnostics) {
	out := body{Attrs: map[string]attr{}, Blocks: []block{}}
	content, diags := b.Content(shapeAt(shapes, path).schema())
	for _, a := range sortedAttrs(content.Attributes) {
		val, more := a.Expr.Value(ctx)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		js, err := valueJSON(val)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "unsuitable value type",
				Detail: fmt.Sprintf("Unsuitable value: %s", err), Subject: a.Expr.StartRange().Ptr(), Context: a.Expr.Range().Ptr()})
			continue
		}
		out.Attrs[a.Name] = attr{Value: js, Range: a.Expr.Range().String(), Start: a.Expr.StartRange().String(), NameRange: a.NameRange.String()}
	}
	for _, blk := range content.Blocks {
		inner, more := p.body(blk.Body, path+"/"+blk.Type, shapes, ctx)
		diags = append(diags, more...)
		labels := blk.Labels
		if labels == nil {
			labels = []string{}
		}
		out.Blocks = append(out.Blocks, block{Type: blk.Type, Labels: labels, Range: blk.DefRange.String(), TypeR: blk.TypeRange.String(),
			Brace: p.openBrace(blk), LabelR: rangeTexts(blk.LabelRanges), Body: inner})
	}
	return out, diags
}

// openBrace is the range of a block's "{" (hclsyntax reports a missing label there): the first character after its
// labels that is not a space or tab.
func (p *parser) openBrace(b *hcl.Block) string {
	pos := b.DefRange.End
	for pos.Byte < len(p.src) && (p.src[pos.Byte] == ' ' || p.src[pos.Byte] == '\t') {
		pos.Byte, pos.Column = pos.Byte+1, pos.Column+1
	}
	end := hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}
	return hcl.Range{Filename: b.DefRange.Filename, Start: pos, End: end}.String()
}

func rangeTexts(rs []hcl.Range) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func valueJSON(v cty.Value) (json.RawMessage, error) {
	if v.IsNull() {
		return json.RawMessage("null"), nil
	}
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("value is not known")
	}
	return ctyjson.Marshal(v, v.Type())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, k := range sortedKeys(attrs) {
		out = append(out, attrs[k])
	}
	return out
}
