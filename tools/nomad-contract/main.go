// Command nomad-contract checks the Nomad test double's JSON against Nomad's own Go API types
// (github.com/hashicorp/nomad/api, MPL-2.0). It reads a request log written by the double's `requestLog` option
// during a run of the action, starts a fresh double (the command after "--"), replays every request, and
// strict-decodes into the api structs: every request body the action sent, every response the action saw
// (logged) and every response of the replay. Any unknown or mistyped field fails, except the short allow-list
// below of fields that real Nomad servers send but the api structs lack.
//
// Usage: nomad-contract -log requests.jsonl -- node .build/test-support/nomad-double/cli.js [flags]
// The double command must print one JSON line {"url","managementToken"} on stdout.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// allowed lists "<api type>.<JSON key>" pairs that real servers send but the api structs lack.
var allowed = map[string]string{
	// Write responses carry the Raft index; the api reads it from the X-Nomad-Index header instead.
	"JobRegisterResponse.Index":      "nomad/structs JobRegisterResponse embeds QueryMeta with Index",
	"JobDeregisterResponse.Index":    "nomad/structs JobDeregisterResponse embeds QueryMeta with Index",
	"DeploymentUpdateResponse.Index": "nomad/structs DeploymentUpdateResponse embeds WriteMeta with Index",
	// The deployment's priority and auto-promote flag are server fields the api structs do not have.
	"Deployment.EvalPriority":              "nomad/structs Deployment.EvalPriority",
	"DeploymentState.AutoPromote":          "nomad/structs DeploymentState.AutoPromote",
	"AllocationListStub.DesiredTransition": "nomad/structs AllocListStub.DesiredTransition",
	"RescheduleEvent.Delay":                "nomad/structs RescheduleEvent.Delay",
}

type entry struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Query    map[string]string `json:"query"`
	Body     *string           `json:"body"`
	Status   int               `json:"status"`
	Response *string           `json:"response"`
}

type route struct {
	method string // GET, WRITE (PUT/POST), DELETE
	re     *regexp.Regexp
	req    func() any
	resp   func() any
}

func r(method, pattern string, req, resp func() any) route {
	return route{method, regexp.MustCompile("^" + pattern + "$"), req, resp}
}

const seg = `[^/]+`

var routes = []route{
	r("WRITE", `/v1/jobs/parse`, func() any { return &api.JobsParseRequest{} }, func() any { return &api.Job{} }),
	r("GET", `/v1/jobs`, nil, func() any { return &[]*api.JobListStub{} }),
	r("WRITE", `/v1/jobs`, func() any { return &api.JobRegisterRequest{} }, func() any { return &api.JobRegisterResponse{} }),
	r("WRITE", `/v1/job/`+seg+`/plan`, func() any { return &api.JobPlanRequest{} }, func() any { return &api.JobPlanResponse{} }),
	r("GET", `/v1/job/`+seg+`/submission`, nil, func() any { return &api.JobSubmission{} }),
	r("GET", `/v1/job/`+seg+`/allocations`, nil, func() any { return &[]*api.AllocationListStub{} }),
	r("GET", `/v1/job/`+seg+`/evaluations`, nil, func() any { return &[]*api.Evaluation{} }),
	r("GET", `/v1/job/`+seg+`/deployment`, nil, func() any { return &api.Deployment{} }),
	r("GET", `/v1/job/`+seg+`/deployments`, nil, func() any { return &[]*api.Deployment{} }),
	r("GET", `/v1/job/`+seg+`/versions`, nil, func() any { return &api.JobVersionsResponse{} }),
	r("GET", `/v1/job/`+seg, nil, func() any { return &api.Job{} }),
	r("WRITE", `/v1/job/`+seg, func() any { return &api.JobRegisterRequest{} }, func() any { return &api.JobRegisterResponse{} }),
	r("DELETE", `/v1/job/`+seg, nil, func() any { return &api.JobDeregisterResponse{} }),
	r("GET", `/v1/evaluation/`+seg+`/allocations`, nil, func() any { return &[]*api.AllocationListStub{} }),
	r("GET", `/v1/evaluation/`+seg, nil, func() any { return &api.Evaluation{} }),
	r("WRITE", `/v1/deployment/promote/`+seg, func() any { return &api.DeploymentPromoteRequest{} }, func() any { return &api.DeploymentUpdateResponse{} }),
	r("WRITE", `/v1/deployment/fail/`+seg, nil, func() any { return &api.DeploymentUpdateResponse{} }),
	r("GET", `/v1/deployment/allocations/`+seg, nil, func() any { return &[]*api.AllocationListStub{} }),
	r("GET", `/v1/deployment/`+seg, nil, func() any { return &api.Deployment{} }),
	r("GET", `/v1/allocation/`+seg, nil, func() any { return &api.Allocation{} }),
	r("GET", `/v1/agent/self`, nil, func() any { return &api.AgentSelf{} }),
	r("WRITE", `/v1/acl/login`, func() any { return &api.ACLLoginRequest{} }, func() any { return &api.ACLToken{} }),
	r("GET", `/v1/acl/token/self`, nil, func() any { return &api.ACLToken{} }),
}

func findRoute(method, path string) *route {
	for i := range routes {
		rt := &routes[i]
		m := rt.method == method || (rt.method == "WRITE" && (method == "PUT" || method == "POST"))
		if m && rt.re.MatchString(path) {
			return rt
		}
	}
	return nil
}

var problems []string
var allowedSeen = map[string]bool{}

func problem(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t.Name()
}

// jsonFields maps the JSON keys encoding/json accepts for a struct (embedded structs flattened) to field types.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name := strings.Split(tag, ",")[0]
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[strings.ToLower(name)] = f.Type
	}
}

var opaque = map[reflect.Type]bool{reflect.TypeOf(time.Time{}): true, reflect.TypeOf(time.Duration(0)): true}

// prune walks JSON against a Go type: reports unknown keys with their path, and removes allow-listed ones.
func prune(v any, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if opaque[t] {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return // the decoder reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		jsonFields(t, fields)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				key := t.Name() + "." + k
				if _, ok := allowed[key]; ok {
					allowedSeen[key] = true
					delete(obj, k)
				} else {
					problem("%s.%s: unknown field (not in api.%s)", path, k, t.Name())
					delete(obj, k)
				}
				continue
			}
			prune(obj[k], ft, path+"."+k)
		}
	case reflect.Slice, reflect.Array:
		if arr, ok := v.([]any); ok {
			for i, x := range arr {
				prune(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Map:
		if obj, ok := v.(map[string]any); ok {
			for k, x := range obj {
				prune(x, t.Elem(), path+"["+k+"]")
			}
		}
	}
}

// strict decodes data into target with DisallowUnknownFields after pruning allow-listed keys.
func strict(what string, data []byte, target any) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		problem("%s: not JSON: %v", what, err)
		return false
	}
	before := len(problems)
	prune(generic, reflect.TypeOf(target), what)
	cleaned, _ := json.Marshal(generic)
	d := json.NewDecoder(bytes.NewReader(cleaned))
	d.DisallowUnknownFields()
	if err := d.Decode(target); err != nil {
		problem("%s: %v", what, err)
	}
	return len(problems) == before
}

// ---- replay with the new double's IDs and indexes in place of the logged ones

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
var ids = map[string]string{}
var modifyIndexes = map[string]any{}

// learn pairs logged and replayed values position by position: UUIDs and JobModifyIndex numbers.
// It returns false when a logged UUID has no counterpart yet (the replayed state is behind).
func learn(old, cur any, key string) bool {
	switch o := old.(type) {
	case string:
		if uuidRe.MatchString(o) && len(o) == 36 {
			c, ok := cur.(string)
			if !ok || !uuidRe.MatchString(c) {
				return false
			}
			ids[o] = c
		}
	case json.Number:
		if key == "JobModifyIndex" {
			if c, ok := cur.(json.Number); ok {
				modifyIndexes[o.String()] = c
			}
		}
	case map[string]any:
		c, _ := cur.(map[string]any)
		ok := true
		for k, x := range o {
			ok = learn(x, c[k], k) && ok
		}
		return ok
	case []any:
		c, _ := cur.([]any)
		ok := true
		for i, x := range o {
			if i >= len(c) {
				return false
			}
			ok = learn(x, c[i], key) && ok
		}
		return ok
	}
	return true
}

func mapIDs(s string) string {
	return uuidRe.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := ids[m]; ok {
			return v
		}
		return m
	})
}

func mapBody(body string) string {
	var generic any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&generic) != nil {
		return mapIDs(body)
	}
	if obj, ok := generic.(map[string]any); ok {
		if n, ok := obj["JobModifyIndex"].(json.Number); ok {
			if v, ok := modifyIndexes[n.String()]; ok {
				obj["JobModifyIndex"] = v
			}
		}
	}
	b, _ := json.Marshal(generic)
	return mapIDs(string(b))
}

func parseJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

func main() {
	logPath := flag.String("log", "", "request log written by the double's requestLog option")
	settle := flag.Duration("settle", 20*time.Second, "how long a replayed request may retry until the state has caught up with the log")
	flag.Parse()
	if *logPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: nomad-contract -log FILE -- <command that starts the double>")
		os.Exit(2)
	}
	entries := readLog(*logPath)

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fail("starting the double: %v", err)
	}
	if err := cmd.Start(); err != nil {
		fail("starting the double: %v", err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	var started struct {
		URL             string `json:"url"`
		ManagementToken string `json:"managementToken"`
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &started) != nil {
		fail("the double did not print its address: %v %q", err, line)
	}

	requests, responses, replayed, skipped := 0, 0, 0, map[string]int{}
	for i, e := range entries {
		rt := findRoute(e.Method, e.Path)
		label := fmt.Sprintf("#%d %s %s", i+1, e.Method, e.Path)
		if rt == nil {
			skipped[e.Method+" "+e.Path]++
			continue
		}
		if rt.req != nil && e.Body != nil && *e.Body != "" {
			if strict(label+" request", []byte(*e.Body), rt.req()) {
				requests++
			}
		}
		if e.Status >= 200 && e.Status < 300 && e.Response != nil && *e.Response != "null" {
			if strict(label+" logged response", []byte(*e.Response), rt.resp()) {
				responses++
			}
		}
		status, body := replay(started.URL, started.ManagementToken, e, *settle)
		if status != e.Status {
			fmt.Printf("note: %s: replay answered %d, the logged run %d\n", label, status, e.Status)
		}
		if status >= 200 && status < 300 && body != "null" {
			if strict(label+" replayed response", []byte(body), rt.resp()) {
				replayed++
			}
		}
	}
	for k, n := range skipped {
		fmt.Printf("not checked (no api type): %s ×%d\n", k, n)
	}
	unused := []string{}
	for k := range allowed {
		if !allowedSeen[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		fmt.Printf("allow-list entries not needed by this log: %s\n", strings.Join(unused, ", "))
	}
	fmt.Printf("contract: %d log entries; strict-decoded %d request bodies, %d logged responses, %d replayed responses\n", len(entries), requests, responses, replayed)
	if responses == 0 || replayed == 0 {
		problem("nothing was checked: %d logged and %d replayed responses decoded", responses, replayed)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL " + p)
		}
		fmt.Printf("%d passed, %d failed\n", responses+replayed+requests, len(problems))
		os.Exit(1)
	}
	fmt.Printf("%d passed, 0 failed\n", responses+replayed+requests)
}

// diverged: a replayed GET did not catch up with its logged answer within the settle time.
var diverged bool

func replay(base, token string, e entry, settle time.Duration) (int, string) {
	q := url.Values{}
	for k, v := range e.Query {
		if k == "index" || k == "wait" {
			continue // a blocking query would wait on the logged run's index
		}
		q.Set(k, mapIDs(v))
	}
	u := base + mapIDs(e.Path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var logged any
	if e.Response != nil {
		logged = parseJSON(*e.Response)
	}
	// Once the replayed state has diverged from the logged run (its clients log in to a Vault that trusts the logged
	// run's keys only, so their allocations can fail), waiting the full settle time on every later GET only adds minutes.
	if diverged && e.Method == "GET" && settle > time.Second {
		settle = time.Second
	}
	deadline := time.Now().Add(settle)
	for {
		var body io.Reader
		if e.Body != nil && *e.Body != "" {
			body = strings.NewReader(mapBody(*e.Body))
		}
		req, _ := http.NewRequest(e.Method, u, body)
		req.Header.Set("X-Nomad-Token", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			fail("replay %s %s: %v", e.Method, u, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cur := parseJSON(string(b))
		caughtUp := res.StatusCode == e.Status && (logged == nil || cur == nil || learn(logged, cur, ""))
		if !caughtUp && e.Method == "GET" && time.Now().After(deadline) {
			diverged = true
		}
		// A GET retries until the replayed state has caught up. A write that succeeded in the logged run but fails
		// here (e.g. a promote sent before the replayed canary is healthy) changed nothing, so it is sent again;
		// any other write is sent once.
		retryWrite := e.Method != "GET" && e.Status < 300 && res.StatusCode >= 400
		if caughtUp || (e.Method != "GET" && !retryWrite) || time.Now().After(deadline) {
			if logged != nil && cur != nil {
				learn(logged, cur, "")
			}
			return res.StatusCode, string(b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readLog(path string) []entry {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fail("%s: %v", path, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		fail("%s: no requests logged", path)
	}
	return out
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "nomad-contract: "+format+"\n", a...)
	os.Exit(1)
}
