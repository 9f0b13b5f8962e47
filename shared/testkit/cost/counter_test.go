package cost

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type av = ddbtypes.AttributeValue

func s(v string) av { return &ddbtypes.AttributeValueMemberS{Value: v} }
func n(v string) av { return &ddbtypes.AttributeValueMemberN{Value: v} }
func b(size int) av { return &ddbtypes.AttributeValueMemberB{Value: make([]byte, size)} }
func item(kv ...any) map[string]av {
	m := map[string]av{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(av)
	}
	return m
}

func TestNumberSizeMatchesDynalite(t *testing.T) {
	// Expected values from dynalite's valSize for N (db/index.js), which
	// reproduces DynamoDB's ConsumedCapacity.
	for in, want := range map[string]int{
		"0": 1, "1": 2, "12": 2, "100": 2, "123": 3, "1234": 3, "12345": 4,
		"1778000000": 3, "-5": 3, "0.5": 2, "1.25": 3, "1e3": 2, "007": 2,
	} {
		if got := numberSize(in); got != want {
			t.Errorf("numberSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestItemSize(t *testing.T) {
	it := item("pk", s("SURVEY#abc"), "v", n("12"), "data", b(100),
		"l", &ddbtypes.AttributeValueMemberL{Value: []av{s("ab"), &ddbtypes.AttributeValueMemberBOOL{Value: true}}},
		"m", &ddbtypes.AttributeValueMemberM{Value: map[string]av{"k": s("xyz")}})
	// pk 2+10, v 1+2, data 4+100, l 1+(3+1+2+1+1), m 1+(3+1+1+3)
	if got, want := ItemSize(it), 12+3+104+9+9; got != want {
		t.Errorf("ItemSize = %d, want %d", got, want)
	}
	if ItemSize(map[string]av{"name": s("María")}) != 4+6 {
		t.Error("strings count UTF-8 bytes")
	}
}

func counter() *Counter {
	return NewCounter([]Index{{Name: "gsi1", PK: "gsi1pk", SK: "gsi1sk"}, {Name: "gsi2", PK: "gsi2pk", SK: "gsi2sk"}})
}

func TestWriteUnitsCountIndexes(t *testing.T) {
	newItem := item("pk", s("A"), "sk", s("#"), "gsi1pk", s("DUE"), "gsi1sk", s("t1"), "data", b(1500))
	size := ItemSize(newItem) // just over 1 KB: 2 units per write

	c := counter()
	c.dynamo(&dynamodb.PutItemInput{Item: newItem}, &dynamodb.PutItemOutput{}, nil)
	if got := c.counts.WriteUnits; got != 4 { // table 2 + gsi1 put 2
		t.Errorf("new item of %d bytes in one index: %g write units, want 4", size, got)
	}

	moved := item("pk", s("A"), "sk", s("#"), "gsi1pk", s("DUE"), "gsi1sk", s("t2"), "gsi2pk", s("C"), "gsi2sk", s("x"), "data", b(10))
	c = counter()
	c.dynamo(&dynamodb.PutItemInput{Item: moved}, &dynamodb.PutItemOutput{Attributes: newItem}, nil)
	// table: the larger (old) item, 2; gsi1 key changed: delete old (2) + put new (1); gsi2 new: 1
	if got, idx := c.counts.WriteUnits, c.counts.IndexWriteUnits; got != 6 || idx != 4 {
		t.Errorf("index key changed: %g write units (%g index), want 6 (4)", got, idx)
	}

	c = counter()
	c.dynamo(&dynamodb.PutItemInput{Item: newItem}, &dynamodb.PutItemOutput{Attributes: newItem}, nil)
	if got := c.counts.WriteUnits; got != 4 {
		t.Errorf("rewrite with the same index key: %g write units, want 4", got)
	}

	c = counter()
	c.dynamo(&dynamodb.DeleteItemInput{}, &dynamodb.DeleteItemOutput{Attributes: newItem}, nil)
	if got := c.counts.WriteUnits; got != 4 {
		t.Errorf("delete: %g write units, want 4", got)
	}

	c = counter()
	failed := &ddbtypes.ConditionalCheckFailedException{Item: newItem}
	c.dynamo(&dynamodb.PutItemInput{Item: moved}, nil, failed)
	if got := c.counts.WriteUnits; got != 2 {
		t.Errorf("failed condition: %g write units, want the stored item's 2", got)
	}
	c = counter()
	c.dynamo(&dynamodb.PutItemInput{Item: moved}, nil, &ddbtypes.ConditionalCheckFailedException{})
	if got := c.counts.WriteUnits; got != 1 {
		t.Errorf("failed condition on a missing item: %g write units, want 1", got)
	}
	c = counter()
	c.dynamo(&dynamodb.PutItemInput{Item: moved}, nil, errors.New("validation"))
	if got := c.counts.WriteUnits; got != 0 {
		t.Errorf("refused request: %g write units, want 0", got)
	}
}

func TestReadUnits(t *testing.T) {
	small := item("pk", s("A"), "data", b(3000))
	c := counter()
	c.dynamo(&dynamodb.GetItemInput{ConsistentRead: aws.Bool(true)}, &dynamodb.GetItemOutput{Item: small}, nil)
	c.dynamo(&dynamodb.GetItemInput{}, &dynamodb.GetItemOutput{}, nil) // missing, eventually consistent
	if got := c.counts.ReadUnits; got != 1.5 {
		t.Errorf("gets: %g read units, want 1.5", got)
	}
	c = counter()
	// Two 3 KB items: 6 KB summed, rounded up to 8 KB; an index query is eventually consistent.
	c.dynamo(&dynamodb.QueryInput{IndexName: aws.String("gsi1"), ConsistentRead: aws.Bool(true)}, &dynamodb.QueryOutput{Items: []map[string]av{small, small}}, nil)
	c.dynamo(&dynamodb.QueryInput{ConsistentRead: aws.Bool(true)}, &dynamodb.QueryOutput{}, nil) // empty: the minimum
	if got := c.counts.ReadUnits; got != 2 {
		t.Errorf("queries: %g read units, want 1 + 1", got)
	}
}

func TestCountsSub(t *testing.T) {
	a := Counts{Calls: map[Op]int{{"DynamoDB", "Query"}: 3, {"SESv2", "SendEmail"}: 1}, ReadUnits: 2, Emails: 1}
	d := a.Sub(Counts{Calls: map[Op]int{{"DynamoDB", "Query"}: 3}, ReadUnits: 1.5})
	if len(d.Calls) != 1 || d.Count("SESv2", "SendEmail") != 1 || d.ReadUnits != 0.5 || d.Emails != 1 {
		t.Errorf("Sub = %+v", d)
	}
}

func TestSplice(t *testing.T) {
	readme := "# x\n\nintro\n\n## Repository layout\n\ntree\n"
	out, err := Splice(readme, "one\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# x\n\nintro\n\n" + Heading + "\n\n" + BeginMarker + "\none\n" + EndMarker + "\n\n## Repository layout\n\ntree\n"
	if out != want {
		t.Fatalf("first splice:\n%s\nwant:\n%s", out, want)
	}
	again, err := Splice(out, "two\nlines\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := Section(again); !ok || got != "two\nlines\n" || strings.Count(again, Heading) != 1 || !strings.HasSuffix(again, "## Repository layout\n\ntree\n") {
		t.Fatalf("second splice:\n%s", again)
	}
	if _, err := Splice("no anchor\n", "x"); err == nil {
		t.Error("a README without the anchor heading was spliced")
	}
	if _, err := Splice("a "+EndMarker+" b "+BeginMarker, "x"); err == nil {
		t.Error("markers out of order were spliced")
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{dollars(1.31119), "$1.3112"}, {dollars(0), "$0.0000"}, {qty(30.175), "30.175"}, {qty(8640), "8,640"},
		{qty(0.05), "0.05"}, {pct(0.045), "4.5%"}, {pct(0.7), "70%"}, {thousands(648000), "648,000"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
