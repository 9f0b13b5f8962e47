package asl

import (
	"testing"
)

// TestInputOutputDocExamples reproduces the examples of the AWS pages
// "Processing input and output", "InputPath, Parameters and ResultSelector"
// and "Specifying state output using ResultPath" with their documented
// results. The task result is scripted through a fake Lambda.
func TestInputOutputDocExamples(t *testing.T) {
	t.Parallel()
	resultPathInput := `{"comment":"This is a test","details":"Default example","who":"Step Functions"}`
	hello := func(any) (any, error) { return "Hello, Step Functions!", nil }
	tests := []struct {
		name   string
		fields string // extra Task fields
		input  string
		fn     handler
		want   string
	}{
		{
			name:   "ResultPath $ replaces the input",
			fields: `"ResultPath":"$"`, input: resultPathInput, fn: hello,
			want: `"Hello, Step Functions!"`,
		},
		{
			name:   "ResultPath null discards the result",
			fields: `"ResultPath":null`, input: resultPathInput, fn: hello,
			want: resultPathInput,
		},
		{
			name:   "ResultPath includes the result with the input",
			fields: `"ResultPath":"$.taskresult"`, input: resultPathInput, fn: hello,
			want: `{"comment":"This is a test","details":"Default example","who":"Step Functions","taskresult":"Hello, Step Functions!"}`,
		},
		{
			name:   "ResultPath updates a node in the input",
			fields: `"ResultPath":"$.details"`, input: resultPathInput, fn: hello,
			want: `{"comment":"This is a test","details":"Hello, Step Functions!","who":"Step Functions"}`,
		},
		{
			name:   "ResultPath creates nested nodes",
			fields: `"ResultPath":"$.a.b.c"`, input: `{"a":{"x":1}}`, fn: hello,
			want: `{"a":{"x":1,"b":{"c":"Hello, Step Functions!"}}}`,
		},
		{
			name:   "InputPath selects",
			fields: `"InputPath":"$.dataset2"`,
			input:  `{"comment":"Example for InputPath.","dataset1":{"val1":1,"val2":2,"val3":3},"dataset2":{"val1":"a","val2":"b","val3":"c"}}`,
			fn:     func(p any) (any, error) { return p, nil },
			want:   `{"val1":"a","val2":"b","val3":"c"}`,
		},
		{
			name:   "Parameters selects and adds static values",
			fields: `"Parameters":{"comment":"Selecting what I care about.","MyDetails":{"size.$":"$.product.details.size","exists.$":"$.product.availability","StaticValue":"foo"}}`,
			input:  `{"comment":"Example for Parameters.","product":{"details":{"color":"blue","size":"small","material":"cotton"},"availability":"in stock","sku":"2317","cost":"$23"}}`,
			fn:     func(p any) (any, error) { return p, nil },
			want:   `{"comment":"Selecting what I care about.","MyDetails":{"size":"small","exists":"in stock","StaticValue":"foo"}}`,
		},
		{
			name:   "InputPath, ResultPath and OutputPath together",
			fields: `"InputPath":"$.lambda","ResultPath":"$.data.lambdaresult","OutputPath":"$.data"`,
			input:  `{"comment":"An input comment.","data":{"val1":23,"val2":17},"extra":"foo","lambda":{"who":"AWS Step Functions"}}`,
			fn: func(p any) (any, error) {
				return "Hello, " + p.(map[string]any)["who"].(string) + "!", nil
			},
			want: `{"val1":23,"val2":17,"lambdaresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name:   "ResultSelector on a lambda:invoke result",
			fields: `"ResultSelector":{"modifiedPayload.$":"$.Payload","code.$":"$.StatusCode"}`,
			input:  `{}`,
			fn:     func(any) (any, error) { return map[string]any{"foo": "bar"}, nil },
			want:   `{"modifiedPayload":{"foo":"bar"},"code":200}`,
		},
		{
			name:   "InputPath null gives an empty object, OutputPath null too",
			fields: `"InputPath":null,"OutputPath":null`,
			input:  `{"a":1}`,
			fn:     func(p any) (any, error) { return p, nil },
			want:   `{}`,
		},
		{
			name:   "processing order InputPath Parameters task ResultSelector ResultPath OutputPath",
			fields: `"InputPath":"$.in","Parameters":{"v.$":"$.v","ctx.$":"$$.State.Name"},"ResultSelector":{"got.$":"$.echo"},"ResultPath":"$.res","OutputPath":"$.res"`,
			input:  `{"in":{"v":5},"other":true}`,
			fn:     func(p any) (any, error) { return map[string]any{"echo": p}, nil },
			want:   `{"got":{"v":5,"ctx":"T"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resource := `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:fn"`
			if tt.name == "ResultSelector on a lambda:invoke result" {
				resource = `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"fn","Payload.$":"$"}`
			}
			def := `{"StartAt":"T","States":{"T":{"Type":"Task",` + resource + `,` + tt.fields + `,"End":true}}}`
			x := runDef(t, def, tt.input, map[string]handler{"fn": tt.fn})
			mustSucceed(t, x)
			assertJSON(t, x.Output, tt.want)
		})
	}
}

func TestPassState(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, state, input, want string }{
		{"passes input", `{"Type":"Pass","End":true}`, `{"a":1}`, `{"a":1}`},
		{"Result", `{"Type":"Pass","Result":{"x":[1,2]},"End":true}`, `{"a":1}`, `{"x":[1,2]}`},
		{"Result with ResultPath (docs example)", `{"Type":"Pass","Result":{"x-datum":0.381018,"y-datum":622.2269926397355},"ResultPath":"$.coords","End":true}`,
			`{"georefOf":"Home"}`, `{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}`},
		{"Parameters", `{"Type":"Pass","Parameters":{"a.$":"$.x","b":"lit","c.$":"$.arr[*].k","d.$":"$.arr[1:]"},"End":true}`,
			`{"x":1,"arr":[{"k":"p"},{"k":"q"}]}`, `{"a":1,"b":"lit","c":["p","q"],"d":[{"k":"q"}]}`},
		{"Parameters in arrays", `{"Type":"Pass","Parameters":{"list":[{"v.$":"$.x"},"s"]},"End":true}`, `{"x":2}`, `{"list":[{"v":2},"s"]}`},
		{"bracket paths", `{"Type":"Pass","InputPath":"$['my key'][0]","End":true}`, `{"my key":[{"z":1}]}`, `{"z":1}`},
		{"Result null", `{"Type":"Pass","Result":null,"ResultPath":"$.n","End":true}`, `{}`, `{"n":null}`},
		{"big integers stay exact", `{"Type":"Pass","End":true}`, `{"id":12345678901234567890}`, `{"id":12345678901234567890}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := runDef(t, single(tt.state), tt.input, nil)
			mustSucceed(t, x)
			assertJSON(t, x.Output, tt.want)
			if tt.name == "big integers stay exact" && string(x.Output) != tt.want {
				t.Errorf("got %s", x.Output)
			}
		})
	}
}

func TestPathErrorsAreRuntime(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, state string }{
		{"InputPath", `{"Type":"Pass","InputPath":"$.missing","End":true}`},
		{"OutputPath", `{"Type":"Pass","OutputPath":"$.missing","End":true}`},
		{"Parameters", `{"Type":"Pass","Parameters":{"a.$":"$.missing"},"End":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := runDef(t, single(tt.state), `{}`, nil)
			if x.Status != StatusFailed || x.Error != ErrNameRuntime {
				t.Fatalf("got %s %s", x.Status, x.Error)
			}
		})
	}
	// ResultPath into a non-object fails with States.ResultPathMatchFailure.
	x := runDef(t, single(`{"Type":"Pass","Result":1,"ResultPath":"$.s.x","End":true}`), `{"s":"str"}`, nil)
	if x.Error != ErrNameResultPathMatch {
		t.Errorf("got %s", x.Error)
	}
	// States.Runtime is not caught by States.ALL.
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","OutputPath":"$.nope",
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`
	x = runDef(t, def, `{}`, map[string]handler{"f": func(any) (any, error) { return map[string]any{}, nil }})
	if x.Status != StatusFailed || x.Error != ErrNameRuntime {
		t.Errorf("runtime error was caught: %s %s", x.Status, x.Error)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	v, _ := decodeJSON([]byte(`{"a":{"b":[10,{"c":"x"}]},"k y":1,"list":[{"n":1},{"n":2},{"m":3}]}`))
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{"$", `{"a":{"b":[10,{"c":"x"}]},"k y":1,"list":[{"n":1},{"n":2},{"m":3}]}`, true},
		{"$.a.b[0]", `10`, true},
		{"$.a.b[1].c", `"x"`, true},
		{"$['a']['b'][1]['c']", `"x"`, true},
		{`$["k y"]`, `1`, true},
		{"$.list[*].n", `[1,2]`, true},
		{"$.list[0:2]", `[{"n":1},{"n":2}]`, true},
		{"$.list[-1:]", `[{"m":3}]`, true},
		{"$.a.*", `[[10,{"c":"x"}]]`, true},
		{"$.a.b[5]", ``, false},
		{"$.nope", ``, false},
		{"$.a.b.c", ``, false},
	}
	for _, tt := range tests {
		p, err := parsePath(tt.path)
		if err != nil {
			t.Fatalf("parsePath(%q): %v", tt.path, err)
		}
		got, ok := p.get(v)
		if ok != tt.ok {
			t.Errorf("%s: ok=%v", tt.path, ok)
			continue
		}
		if ok {
			assertJSON(t, mustEncode(got), tt.want)
		}
	}
	for _, bad := range []string{"a.b", "$..a", "$.a[?(@.x)]", "$.a[1,2]", "$.a[", "$.a['x", "$[x]", "$.", "$.a[::2]"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
	// set copies on write.
	p, _ := parsePath("$.a.new")
	out, err := p.set(v, "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(map[string]any)["a"].(map[string]any)["new"]; ok {
		t.Error("set mutated its input")
	}
	assertJSON(t, mustEncode(out.(map[string]any)["a"]), `{"b":[10,{"c":"x"}],"new":"n"}`)
	p, _ = parsePath("$.a.b[1].c")
	out, _ = p.set(v, "y")
	assertJSON(t, mustEncode(out.(map[string]any)["a"]), `{"b":[10,{"c":"y"}]}`)
}
