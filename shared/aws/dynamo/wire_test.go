package dynamo_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/aws/dynamo"
	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/testkit/awswire"
)

// These tests check the requests the adapter puts on the wire against the
// DynamoDB API reference (JSON 1.0, X-Amz-Target DynamoDB_20120810.<Op>)
// and its answers to DynamoDB's documented error shapes.

const (
	tableName = "cxloop"
	namespace = "com.amazonaws.dynamodb.v20120810"
)

func newWireTable(t *testing.T, script ...awswire.Response) (*dynamo.Table, *awswire.Server) {
	t.Helper()
	srv := awswire.NewServer(t, script...)
	return dynamo.New(dynamodb.NewFromConfig(srv.Config()), tableName), srv
}

func checkEnvelope(t *testing.T, r awswire.Request, op string) map[string]any {
	t.Helper()
	if r.Method != http.MethodPost || r.Path != "/" {
		t.Errorf("request = %s %s, want POST /", r.Method, r.Path)
	}
	if got, want := r.Target(), "DynamoDB_20120810."+op; got != want {
		t.Errorf("X-Amz-Target = %q, want %q", got, want)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type = %q, want application/x-amz-json-1.0", got)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "/us-east-1/dynamodb/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for dynamodb", auth)
	}
	body := r.JSON(t)
	if body["TableName"] != tableName {
		t.Errorf("TableName = %v, want %s", body["TableName"], tableName)
	}
	return body
}

// resolve substitutes the placeholders of an expression from the request's
// ExpressionAttributeNames and ExpressionAttributeValues, and drops the
// spaces, so tests compare what the expression means, not how the builder
// numbers and spaces it: "(#0 = :0)" with #0=pk and :0={"S":"P"} is "(pk=S:P)".
func resolve(t *testing.T, body map[string]any, field string) string {
	t.Helper()
	expr, ok := body[field].(string)
	if !ok {
		t.Fatalf("%s missing from %v", field, body)
	}
	subs := map[string]string{}
	names, _ := body["ExpressionAttributeNames"].(map[string]any)
	for k, v := range names {
		subs[k] = v.(string)
	}
	values, _ := body["ExpressionAttributeValues"].(map[string]any)
	for k, v := range values {
		for typ, val := range v.(map[string]any) {
			subs[k] = fmt.Sprintf("%s:%v", typ, val)
		}
	}
	// One pass over the placeholders, so a substituted value (a time with
	// colons, say) is never read as a placeholder itself.
	expr = placeholderRE.ReplaceAllStringFunc(expr, func(p string) string {
		if v, ok := subs[p]; ok {
			return v
		}
		return p
	})
	return strings.ReplaceAll(expr, " ", "")
}

var placeholderRE = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestPutRequest(t *testing.T) {
	t.Parallel()
	item := store.Item{
		Key:       store.Key{PK: "RESP#r1", SK: "RESP"},
		GSI1:      store.Key{PK: "DUE", SK: "2025-03-04T09:10:00Z#response#r1"},
		GSI3:      store.Key{PK: "ANSWERS#2025-03", SK: "2025-03-04T09:00:00Z#r1"},
		ExpiresAt: 1767225600,
		Data:      []byte(`{"id":"r1","score":3}`),
	}
	wantItem := map[string]any{
		"pk":     map[string]any{"S": "RESP#r1"},
		"sk":     map[string]any{"S": "RESP"},
		"gsi1pk": map[string]any{"S": "DUE"},
		"gsi1sk": map[string]any{"S": "2025-03-04T09:10:00Z#response#r1"},
		"gsi3pk": map[string]any{"S": "ANSWERS#2025-03"},
		"gsi3sk": map[string]any{"S": "2025-03-04T09:00:00Z#r1"},
		"ttl":    map[string]any{"N": "1767225600"},
		"data":   map[string]any{"B": b64(`{"id":"r1","score":3}`)},
	}
	tests := []struct {
		name        string
		cond        store.Cond
		wantVersion int64
		wantCond    string
	}{
		{"if absent", store.IfAbsent(), 1, "attribute_not_exists(pk)"},
		{"if version", store.IfVersion(3), 4, "v=N:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tbl, srv := newWireTable(t, awswire.JSON10(`{}`))
			got, err := tbl.Put(awswire.Context(t), item, tt.cond)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got.Version != tt.wantVersion {
				t.Errorf("returned version %d, want %d", got.Version, tt.wantVersion)
			}
			body := checkEnvelope(t, srv.Only(t), "PutItem")
			want := map[string]any{"v": map[string]any{"N": fmt.Sprint(tt.wantVersion)}}
			for k, v := range wantItem {
				want[k] = v
			}
			if !reflect.DeepEqual(body["Item"], want) {
				t.Errorf("Item =\n%v\nwant\n%v", body["Item"], want)
			}
			if got := resolve(t, body, "ConditionExpression"); got != tt.wantCond {
				t.Errorf("ConditionExpression means %q, want %q", got, tt.wantCond)
			}
			if body["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" {
				t.Errorf("ReturnValuesOnConditionCheckFailure = %v, want ALL_OLD", body["ReturnValuesOnConditionCheckFailure"])
			}
		})
	}
}

func TestPutSparseAndEmpty(t *testing.T) {
	t.Parallel()
	tbl, srv := newWireTable(t, awswire.JSON10(`{}`))
	if _, err := tbl.Put(awswire.Context(t), store.Item{Key: store.Key{PK: "P", SK: "S"}}, store.IfAbsent()); err != nil {
		t.Fatal(err)
	}
	item := checkEnvelope(t, srv.Only(t), "PutItem")["Item"].(map[string]any)
	var names []string
	for k := range item {
		names = append(names, k)
	}
	sort.Strings(names)
	if fmt.Sprint(names) != "[pk sk v]" {
		t.Errorf("item attributes = %v, want only pk, sk and v (no index keys, ttl or data)", names)
	}
}

func conditionFailed(old map[string]any) awswire.Response {
	extra := map[string]any{}
	if old != nil {
		extra["Item"] = old
	}
	return awswire.JSON10Error(400, namespace, "ConditionalCheckFailedException", "The conditional request failed", extra)
}

func TestPutConflict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cond       store.Cond
		old        map[string]any
		wantDetail string
	}{
		{"taken", store.IfAbsent(), map[string]any{"pk": map[string]any{"S": "P"}, "sk": map[string]any{"S": "S"}, "v": map[string]any{"N": "5"}},
			"key already taken (stored version 5)"},
		{"stale version", store.IfVersion(4), map[string]any{"pk": map[string]any{"S": "P"}, "sk": map[string]any{"S": "S"}, "v": map[string]any{"N": "5"}},
			"want version 4, stored version 5"},
		{"gone", store.IfVersion(4), nil, "want version 4, no item stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tbl, srv := newWireTable(t, conditionFailed(tt.old))
			_, err := tbl.Put(awswire.Context(t), store.Item{Key: store.Key{PK: "P", SK: "S"}}, tt.cond)
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Put error = %v, want ErrConflict", err)
			}
			if errors.Is(err, dynamo.ErrInvalid) {
				t.Errorf("conflict %v also marked invalid", err)
			}
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				t.Errorf("error %v does not carry the SDK's ConditionalCheckFailedException", err)
			} else if (tt.old != nil) != (len(ccf.Item) > 0) {
				t.Errorf("ConditionalCheckFailedException.Item = %v, want the ALL_OLD item %v", ccf.Item, tt.old)
			}
			if !strings.Contains(err.Error(), "put P/S: "+tt.wantDetail) {
				t.Errorf("error %q does not say %q", err, tt.wantDetail)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server got %d requests, want 1 (a failed condition is not retried)", n)
			}
		})
	}
}

const getBody = `{"Item":{"pk":{"S":"P"},"sk":{"S":"S"},"gsi2pk":{"S":"CUST#c1"},"gsi2sk":{"S":"2025"},"v":{"N":"2"},"ttl":{"N":"99"},"data":{"B":"` +
	`eyJhIjoxfQ=="}}}` // {"a":1}

func TestGetRequest(t *testing.T) {
	t.Parallel()
	tbl, srv := newWireTable(t, awswire.JSON10(getBody))
	got, err := tbl.Get(awswire.Context(t), store.Key{PK: "P", SK: "S"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := store.Item{Key: store.Key{PK: "P", SK: "S"}, GSI2: store.Key{PK: "CUST#c1", SK: "2025"}, Version: 2, ExpiresAt: 99, Data: []byte(`{"a":1}`)}
	if !equalItems(got, want) {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	body := checkEnvelope(t, srv.Only(t), "GetItem")
	if body["ConsistentRead"] != true {
		t.Errorf("ConsistentRead = %v, want true", body["ConsistentRead"])
	}
	wantKey := map[string]any{"pk": map[string]any{"S": "P"}, "sk": map[string]any{"S": "S"}}
	if !reflect.DeepEqual(body["Key"], wantKey) {
		t.Errorf("Key = %v, want %v", body["Key"], wantKey)
	}
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	tbl, _ := newWireTable(t, awswire.JSON10(`{}`))
	if _, err := tbl.Get(awswire.Context(t), store.Key{PK: "P", SK: "S"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get error = %v, want ErrNotFound", err)
	}
}

func TestDeleteRequest(t *testing.T) {
	t.Parallel()
	tbl, srv := newWireTable(t, awswire.JSON10(`{}`))
	if err := tbl.Delete(awswire.Context(t), store.Key{PK: "P", SK: "S"}); err != nil {
		t.Fatal(err)
	}
	body := checkEnvelope(t, srv.Only(t), "DeleteItem")
	wantKey := map[string]any{"pk": map[string]any{"S": "P"}, "sk": map[string]any{"S": "S"}}
	if !reflect.DeepEqual(body["Key"], wantKey) {
		t.Errorf("Key = %v, want %v", body["Key"], wantKey)
	}
	if _, ok := body["ConditionExpression"]; ok {
		t.Error("Delete sends a condition; deleting a missing item must not fail")
	}
}

// TestRetriesThrottling proves the SDK's retryer (as configured by the
// Lambda's client; here with no backoff) retries DynamoDB's throttling
// errors and the adapter sees only the final success.
func TestRetriesThrottling(t *testing.T) {
	t.Parallel()
	throughput := awswire.JSON10Error(400, namespace, "ProvisionedThroughputExceededException",
		"The level of configured provisioned throughput for the table was exceeded.", nil)
	throttling := awswire.JSON10Error(400, namespace, "ThrottlingException", "Rate of requests exceeds the allowed throughput.", nil)
	ops := map[string]struct {
		ok   string
		call func(*dynamo.Table, *testing.T) error
	}{
		"PutItem": {`{}`, func(tbl *dynamo.Table, t *testing.T) error {
			_, err := tbl.Put(awswire.Context(t), store.Item{Key: store.Key{PK: "P", SK: "S"}}, store.IfAbsent())
			return err
		}},
		"GetItem": {getBody, func(tbl *dynamo.Table, t *testing.T) error {
			_, err := tbl.Get(awswire.Context(t), store.Key{PK: "P", SK: "S"})
			return err
		}},
		"Query": {`{"Items":[],"Count":0,"ScannedCount":0}`, func(tbl *dynamo.Table, t *testing.T) error {
			_, err := tbl.Query(awswire.Context(t), store.Query{PK: "P"})
			return err
		}},
		"DeleteItem": {`{}`, func(tbl *dynamo.Table, t *testing.T) error {
			return tbl.Delete(awswire.Context(t), store.Key{PK: "P", SK: "S"})
		}},
	}
	for op, o := range ops {
		for name, throttle := range map[string]awswire.Response{"ProvisionedThroughputExceeded": throughput, "Throttling": throttling} {
			t.Run(op+"/"+name+" then ok", func(t *testing.T) {
				t.Parallel()
				tbl, srv := newWireTable(t, throttle, throttle, awswire.JSON10(o.ok))
				if err := o.call(tbl, t); err != nil {
					t.Fatalf("%s after two throttles: %v", op, err)
				}
				reqs := srv.Requests()
				if len(reqs) != 3 {
					t.Fatalf("server got %d requests, want 3", len(reqs))
				}
				for _, r := range reqs {
					checkEnvelope(t, r, op)
				}
			})
		}
	}
	t.Run("retries exhausted", func(t *testing.T) {
		t.Parallel()
		tbl, srv := newWireTable(t, throughput)
		_, err := tbl.Put(awswire.Context(t), store.Item{Key: store.Key{PK: "P", SK: "S"}}, store.IfAbsent())
		var pte *types.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) || errors.Is(err, store.ErrConflict) || errors.Is(err, dynamo.ErrInvalid) {
			t.Errorf("Put error = %v, want the throughput error, neither conflict nor invalid", err)
		}
		if n := len(srv.Requests()); n != awswire.MaxAttempts {
			t.Errorf("server got %d requests, want %d", n, awswire.MaxAttempts)
		}
	})
}

func TestValidationException(t *testing.T) {
	t.Parallel()
	invalid := awswire.JSON10Error(400, "com.amazon.coral.validate", "ValidationException",
		"One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes", nil)
	tests := map[string]func(*dynamo.Table, *testing.T) error{
		"put": func(tbl *dynamo.Table, t *testing.T) error {
			_, err := tbl.Put(awswire.Context(t), store.Item{Key: store.Key{PK: "P", SK: "S"}}, store.IfAbsent())
			return err
		},
		"query": func(tbl *dynamo.Table, t *testing.T) error {
			_, err := tbl.Query(awswire.Context(t), store.Query{Index: store.Due, PK: "DUE"})
			return err
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tbl, srv := newWireTable(t, invalid)
			err := call(tbl, t)
			if !errors.Is(err, dynamo.ErrInvalid) || errors.Is(err, store.ErrConflict) {
				t.Errorf("error = %v, want ErrInvalid and not ErrConflict", err)
			}
			if !strings.Contains(err.Error(), "One or more parameter values were invalid") {
				t.Errorf("error %q lost DynamoDB's explanation", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server got %d requests, want 1 (not retried)", n)
			}
		})
	}
}

func TestMissingTable(t *testing.T) {
	t.Parallel()
	tbl, _ := newWireTable(t, awswire.JSON10Error(400, namespace, "ResourceNotFoundException",
		"Requested resource not found: Table: cxloop not found", nil))
	_, err := tbl.Get(awswire.Context(t), store.Key{PK: "P", SK: "S"})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || !strings.Contains(err.Error(), "table cxloop (or its index) does not exist") {
		t.Errorf("Get error = %v, want a clear missing-table error", err)
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing table %v must not look like a missing item", err)
	}
}

func TestQueryRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		q         store.Query
		wantCond  string
		wantIndex string // "" = table
		wantLimit float64
	}{
		{"partition", store.Query{PK: "P"}, "pk=S:P", "", 0},
		{"between", store.Query{PK: "P", From: "a", To: "b"}, "(pk=S:P)AND(skBETWEENS:aANDS:b)", "", 0},
		{"from", store.Query{PK: "P", From: "a"}, "(pk=S:P)AND(sk>=S:a)", "", 0},
		{"to", store.Query{PK: "P", To: "b", Desc: true}, "(pk=S:P)AND(sk<=S:b)", "", 0},
		{"prefix", store.Query{PK: "P", Prefix: "RESP#"}, "(pk=S:P)AND(begins_with(sk,S:RESP#))", "", 0},
		{"prefix with bounds", store.Query{PK: "P", Prefix: "b", From: "a", To: "c"}, "(pk=S:P)AND(skBETWEENS:bANDS:c)", "", 0},
		{"due", store.Query{Index: store.Due, PK: "DUE", To: "2025-03-04T09:00:00Z$", Limit: 100},
			"(gsi1pk=S:DUE)AND(gsi1sk<=S:2025-03-04T09:00:00Z$)", "gsi1", 100},
		{"customer", store.Query{Index: store.Customer, PK: "CUST#c1"}, "gsi2pk=S:CUST#c1", "gsi2", 0},
		{"listing", store.Query{Index: store.Listing, PK: "PHONE#+447700900123", Desc: true, Limit: 20},
			"gsi3pk=S:PHONE#+447700900123", "gsi3", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tbl, srv := newWireTable(t, awswire.JSON10(`{"Items":[],"Count":0,"ScannedCount":0}`))
			items, err := tbl.Query(awswire.Context(t), tt.q)
			if err != nil || items == nil || len(items) != 0 {
				t.Fatalf("Query = %v, %v; want an empty, non-nil slice", items, err)
			}
			body := checkEnvelope(t, srv.Only(t), "Query")
			if got := resolve(t, body, "KeyConditionExpression"); got != tt.wantCond {
				t.Errorf("KeyConditionExpression means %q, want %q", got, tt.wantCond)
			}
			if tt.wantIndex == "" {
				if _, ok := body["IndexName"]; ok {
					t.Errorf("IndexName = %v on a table query", body["IndexName"])
				}
				if body["ConsistentRead"] != true {
					t.Errorf("ConsistentRead = %v on a table query, want true", body["ConsistentRead"])
				}
			} else {
				if body["IndexName"] != tt.wantIndex {
					t.Errorf("IndexName = %v, want %s", body["IndexName"], tt.wantIndex)
				}
				if _, ok := body["ConsistentRead"]; ok {
					t.Errorf("ConsistentRead set on a GSI query, which DynamoDB rejects")
				}
			}
			if body["ScanIndexForward"] != !tt.q.Desc {
				t.Errorf("ScanIndexForward = %v, want %v", body["ScanIndexForward"], !tt.q.Desc)
			}
			if limit, _ := body["Limit"].(float64); limit != tt.wantLimit {
				t.Errorf("Limit = %v, want %v", body["Limit"], tt.wantLimit)
			}
		})
	}
}

func page(lastKey string, sks ...string) awswire.Response {
	items := make([]string, len(sks))
	for i, sk := range sks {
		items[i] = fmt.Sprintf(`{"pk":{"S":"P"},"sk":{"S":%q},"v":{"N":"1"}}`, sk)
	}
	last := ""
	if lastKey != "" {
		last = fmt.Sprintf(`,"LastEvaluatedKey":{"pk":{"S":"P"},"sk":{"S":%q}}`, lastKey)
	}
	return awswire.JSON10(fmt.Sprintf(`{"Items":[%s],"Count":%d,"ScannedCount":%d%s}`, strings.Join(items, ","), len(sks), len(sks), last))
}

func TestQueryPaginates(t *testing.T) {
	t.Parallel()
	script := []awswire.Response{page("b", "a", "b"), page("d", "c", "d"), page("", "e")}
	tests := []struct {
		name  string
		limit int
		want  string
		calls int
	}{
		{"to the end", 0, "[a b c d e]", 3},
		{"stops at the limit", 3, "[a b c]", 2},
		{"limit on a page boundary", 2, "[a b]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tbl, srv := newWireTable(t, script...)
			items, err := tbl.Query(awswire.Context(t), store.Query{PK: "P", Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.SK)
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("Query = %v, want %s", got, tt.want)
			}
			reqs := srv.Requests()
			if len(reqs) != tt.calls {
				t.Fatalf("server got %d requests, want %d", len(reqs), tt.calls)
			}
			for i, r := range reqs {
				body := checkEnvelope(t, r, "Query")
				start, ok := body["ExclusiveStartKey"]
				switch {
				case i == 0 && ok:
					t.Errorf("first request has ExclusiveStartKey %v", start)
				case i > 0:
					want := map[string]any{"pk": map[string]any{"S": "P"}, "sk": map[string]any{"S": []string{"b", "d"}[i-1]}}
					if !reflect.DeepEqual(start, want) {
						t.Errorf("request %d ExclusiveStartKey = %v, want the previous page's LastEvaluatedKey %v", i+1, start, want)
					}
				}
			}
		})
	}
}

func TestRefusesBadKeysLocally(t *testing.T) {
	t.Parallel()
	tbl, srv := newWireTable(t, awswire.JSON10(`{}`))
	ctx := awswire.Context(t)
	calls := map[string]error{}
	_, calls["get empty sk"] = tbl.Get(ctx, store.Key{PK: "P"})
	_, calls["put empty pk"] = tbl.Put(ctx, store.Item{Key: store.Key{SK: "S"}}, store.IfAbsent())
	_, calls["put half gsi key"] = tbl.Put(ctx, store.Item{Key: store.Key{PK: "P", SK: "S"}, GSI2: store.Key{PK: "CUST#1"}}, store.IfAbsent())
	_, calls["put long pk"] = tbl.Put(ctx, store.Item{Key: store.Key{PK: strings.Repeat("p", 2049), SK: "S"}}, store.IfAbsent())
	calls["delete empty key"] = tbl.Delete(ctx, store.Key{})
	_, calls["query no pk"] = tbl.Query(ctx, store.Query{})
	_, calls["query unknown index"] = tbl.Query(ctx, store.Query{Index: "gsi9", PK: "P"})
	_, calls["query negative limit"] = tbl.Query(ctx, store.Query{PK: "P", Limit: -1})
	for name, err := range calls {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestCreateTableInput(t *testing.T) {
	t.Parallel()
	// The request as DynamoDB receives it: the shape template.yaml must match.
	srv := awswire.NewServer(t, awswire.JSON10(`{"TableDescription":{"TableName":"cxloop","TableStatus":"CREATING"}}`))
	client := dynamodb.NewFromConfig(srv.Config())
	if _, err := client.CreateTable(awswire.Context(t), dynamo.CreateTableInput("cxloop")); err != nil {
		t.Fatal(err)
	}
	body := checkEnvelope(t, srv.Only(t), "CreateTable")
	var want map[string]any
	err := json.Unmarshal([]byte(`{
		"TableName": "cxloop",
		"BillingMode": "PAY_PER_REQUEST",
		"AttributeDefinitions": [
			{"AttributeName": "pk", "AttributeType": "S"},
			{"AttributeName": "sk", "AttributeType": "S"},
			{"AttributeName": "gsi1pk", "AttributeType": "S"},
			{"AttributeName": "gsi1sk", "AttributeType": "S"},
			{"AttributeName": "gsi2pk", "AttributeType": "S"},
			{"AttributeName": "gsi2sk", "AttributeType": "S"},
			{"AttributeName": "gsi3pk", "AttributeType": "S"},
			{"AttributeName": "gsi3sk", "AttributeType": "S"}
		],
		"KeySchema": [
			{"AttributeName": "pk", "KeyType": "HASH"},
			{"AttributeName": "sk", "KeyType": "RANGE"}
		],
		"GlobalSecondaryIndexes": [
			{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}},
			{"IndexName": "gsi2", "KeySchema": [{"AttributeName": "gsi2pk", "KeyType": "HASH"}, {"AttributeName": "gsi2sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}},
			{"IndexName": "gsi3", "KeySchema": [{"AttributeName": "gsi3pk", "KeyType": "HASH"}, {"AttributeName": "gsi3sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}
		]
	}`), &want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(body, want) {
		got, _ := json.MarshalIndent(body, "", "  ")
		t.Errorf("CreateTable body =\n%s", got)
	}
}

func TestTimeToLiveInput(t *testing.T) {
	t.Parallel()
	in := dynamo.TimeToLiveInput("cxloop")
	if *in.TableName != "cxloop" || *in.TimeToLiveSpecification.AttributeName != "ttl" || !*in.TimeToLiveSpecification.Enabled {
		t.Errorf("TimeToLiveInput = %+v, want ttl enabled on cxloop", in.TimeToLiveSpecification)
	}
}
