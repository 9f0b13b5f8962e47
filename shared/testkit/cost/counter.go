package cost

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// Op is one API operation of one service, named by the SDK's service id
// ("DynamoDB", "SESv2", "SFN", "SQS", "Pinpoint SMS Voice V2") and the
// operation name ("PutItem", "SendEmail", ...).
type Op struct {
	Service   string
	Operation string
}

func (o Op) String() string { return o.Service + " " + o.Operation }

// Counts is what a Counter saw: calls per operation and the billable units
// they add up to.
type Counts struct {
	// Calls counts operation calls (one per SDK call; retries of a call are
	// not counted again — the tests that use Counter never retry).
	Calls map[Op]int
	// DynamoDB on-demand request units, computed from the items (see
	// Counter): reads and writes, and the share of the writes that went
	// to the global secondary indexes.
	ReadUnits, WriteUnits, IndexWriteUnits float64
	// IndexPartitionUnits splits IndexWriteUnits by index partition,
	// "<index> <partition key value>" (gsi1 DUE): a partition's write rate
	// is what a hot partition would exceed.
	IndexPartitionUnits map[string]float64
	// ReportedUnits is the sum of the ConsumedCapacity the endpoint
	// returned, and CheckedUnits the sum of the Counter's own table-only
	// figure for the same calls; against dynalite (which reports the table
	// only) they must agree, which checks the size arithmetic.
	ReportedUnits, CheckedUnits float64
	// Emails counts SES recipients (SES bills per recipient).
	Emails int
	// SQSRequests counts SendMessage requests in 64 KB chunks, as SQS bills.
	SQSRequests int
}

// Count returns the calls of one operation.
func (c Counts) Count(service, operation string) int { return c.Calls[Op{service, operation}] }

// Sub returns c minus o: what happened between two snapshots.
func (c Counts) Sub(o Counts) Counts {
	out := Counts{
		Calls:           map[Op]int{},
		ReadUnits:       c.ReadUnits - o.ReadUnits,
		WriteUnits:      c.WriteUnits - o.WriteUnits,
		IndexWriteUnits: c.IndexWriteUnits - o.IndexWriteUnits,
		ReportedUnits:   c.ReportedUnits - o.ReportedUnits,
		CheckedUnits:    c.CheckedUnits - o.CheckedUnits,
		Emails:          c.Emails - o.Emails,
		SQSRequests:     c.SQSRequests - o.SQSRequests,
	}
	out.IndexPartitionUnits = map[string]float64{}
	for k, v := range c.IndexPartitionUnits {
		out.IndexPartitionUnits[k] = v
	}
	for k, v := range o.IndexPartitionUnits {
		if out.IndexPartitionUnits[k] -= v; out.IndexPartitionUnits[k] == 0 {
			delete(out.IndexPartitionUnits, k)
		}
	}
	for op, n := range c.Calls {
		out.Calls[op] = n
	}
	for op, n := range o.Calls {
		out.Calls[op] -= n
		if out.Calls[op] == 0 {
			delete(out.Calls, op)
		}
	}
	return out
}

// Ops lists the operations called, sorted.
func (c Counts) Ops() []Op {
	ops := make([]Op, 0, len(c.Calls))
	for op := range c.Calls {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// Index is a global secondary index of the table the Counter prices: its
// key attributes. cxloop's indexes project ALL attributes, so an index
// entry is the size of the whole item.
type Index struct {
	Name, PK, SK string
}

// IndexesOf returns the global secondary indexes declared in a CreateTable
// call (such as dynamo.CreateTableInput).
func IndexesOf(in *dynamodb.CreateTableInput) []Index {
	var out []Index
	for _, g := range in.GlobalSecondaryIndexes {
		ix := Index{Name: aws.ToString(g.IndexName)}
		for _, k := range g.KeySchema {
			if k.KeyType == ddbtypes.KeyTypeHash {
				ix.PK = aws.ToString(k.AttributeName)
			} else {
				ix.SK = aws.ToString(k.AttributeName)
			}
		}
		out = append(out, ix)
	}
	return out
}

// Counter is an aws-sdk-go-v2 middleware that counts every AWS call made
// through a config that carries it, per service and operation, and prices
// DynamoDB calls in on-demand request units. Add it to a configuration with
//
//	cfg, err := config.LoadDefaultConfig(ctx, config.WithAPIOptions([]func(*middleware.Stack) error{counter.AddTo}))
//
// or append counter.AddTo to aws.Config.APIOptions; every client made from
// that configuration is then counted. It is safe for concurrent use.
//
// # DynamoDB request units
//
// dynalite (the emulator the tests use) returns ConsumedCapacity for the
// table but never charges the global secondary indexes, and real DynamoDB
// charges a write once for the table and again for every index the write
// touches. So the Counter computes the units itself, from the items, the
// way DynamoDB's developer guide describes it ("Capacity unit consumption
// for read/write operations", "Global secondary indexes: writes"):
//
//   - item size: the sum of attribute name lengths and value sizes (S:
//     UTF-8 bytes, B: raw bytes, N: 1 byte per two significant digits plus
//     1, BOOL/NULL: 1, L/M: 3 bytes plus 1 per element plus the elements);
//   - GetItem: the item rounded up to 4 KB, 1 unit per 4 KB strongly
//     consistent, 0.5 eventually consistent; a missing item still costs
//     the minimum (1 or 0.5);
//   - Query: the sizes of all items read, summed and then rounded up to
//     4 KB, per request (per page), at least the minimum; index queries
//     are eventually consistent;
//   - PutItem: 1 write unit per 1 KB of the larger of the old and the new
//     item; DeleteItem: of the deleted item (at least 1); a write whose
//     condition fails still costs the stored item's size (at least 1) and
//     writes no index;
//   - each index: putting an item into an index, or removing it, is one
//     write of the entry's size; changing its index key is two (remove
//     and put); rewriting an item that stays in the index with the same
//     key is one; an item in neither version is free.
//
// To see the old item the Counter asks PutItem and DeleteItem for
// ReturnValues ALL_OLD (free: it consumes no read units) when the caller
// did not, and it asks every call for ReturnConsumedCapacity TOTAL so the
// endpoint's own table figure can be compared (Counts.ReportedUnits).
// Callers never see these fields change anything: the adapter ignores
// them.
type Counter struct {
	indexes []Index

	mu     sync.Mutex
	counts Counts
}

// NewCounter returns a Counter for a table with the given indexes.
func NewCounter(indexes []Index) *Counter {
	return &Counter{indexes: indexes, counts: Counts{Calls: map[Op]int{}, IndexPartitionUnits: map[string]float64{}}}
}

// Snapshot returns a copy of the counts so far.
func (c *Counter) Snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	out.Calls = make(map[Op]int, len(c.counts.Calls))
	for op, n := range c.counts.Calls {
		out.Calls[op] = n
	}
	out.IndexPartitionUnits = make(map[string]float64, len(c.counts.IndexPartitionUnits))
	for k, v := range c.counts.IndexPartitionUnits {
		out.IndexPartitionUnits[k] = v
	}
	return out
}

// MiddlewareID names the Counter in the stack.
const MiddlewareID = "cxloop/cost.Counter"

// AddTo adds the Counter to an operation's middleware stack, at the end of
// the Initialize step: it sees the typed input before it is serialised and
// the typed output after the call, once per call whatever the retries.
func (c *Counter) AddTo(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(MiddlewareID, c.handle), middleware.After)
}

func (c *Counter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	op := Op{awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)}
	in.Parameters = c.prepare(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts.Calls[op]++
	switch p := in.Parameters.(type) {
	case *sesv2.SendEmailInput:
		if err == nil && p.Destination != nil {
			c.counts.Emails += len(p.Destination.ToAddresses) + len(p.Destination.CcAddresses) + len(p.Destination.BccAddresses)
		}
	case *sqs.SendMessageInput:
		c.counts.SQSRequests += chunks(len(aws.ToString(p.MessageBody)), 64<<10)
	default:
		c.dynamo(in.Parameters, out.Result, err)
	}
	return out, md, err
}

// prepare returns the DynamoDB inputs with ReturnConsumedCapacity TOTAL and,
// for writes, ReturnValues ALL_OLD; the caller's struct is not changed.
func (c *Counter) prepare(p any) any {
	switch v := p.(type) {
	case *dynamodb.GetItemInput:
		cp := *v
		cp.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
		return &cp
	case *dynamodb.QueryInput:
		cp := *v
		cp.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
		return &cp
	case *dynamodb.PutItemInput:
		cp := *v
		cp.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
		if cp.ReturnValues == "" || cp.ReturnValues == ddbtypes.ReturnValueNone {
			cp.ReturnValues = ddbtypes.ReturnValueAllOld
		}
		return &cp
	case *dynamodb.DeleteItemInput:
		cp := *v
		cp.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
		if cp.ReturnValues == "" || cp.ReturnValues == ddbtypes.ReturnValueNone {
			cp.ReturnValues = ddbtypes.ReturnValueAllOld
		}
		return &cp
	}
	return p
}

// dynamo adds the request units of one DynamoDB call. c.mu is held.
func (c *Counter) dynamo(params, result any, err error) {
	var table, index float64
	var reported *ddbtypes.ConsumedCapacity
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		out, _ := result.(*dynamodb.GetItemOutput)
		if err != nil || out == nil {
			return
		}
		table = readUnits(ItemSize(out.Item), aws.ToBool(p.ConsistentRead))
		c.counts.ReadUnits += table
		reported = out.ConsumedCapacity
	case *dynamodb.QueryInput:
		out, _ := result.(*dynamodb.QueryOutput)
		if err != nil || out == nil {
			return
		}
		size := 0
		for _, it := range out.Items {
			size += ItemSize(it)
		}
		table = readUnits(size, aws.ToBool(p.ConsistentRead) && p.IndexName == nil)
		c.counts.ReadUnits += table
		if len(out.Items) > 0 { // dynalite reports 0 for an empty result; DynamoDB charges the minimum
			reported = out.ConsumedCapacity
		}
	case *dynamodb.PutItemInput:
		var failed *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			c.counts.WriteUnits += writeUnits(ItemSize(failed.Item))
			return
		}
		out, _ := result.(*dynamodb.PutItemOutput)
		if err != nil || out == nil {
			return
		}
		old := out.Attributes
		table = writeUnits(max(ItemSize(old), ItemSize(p.Item)))
		index = c.indexWrites(old, p.Item)
		c.counts.WriteUnits += table + index
		c.counts.IndexWriteUnits += index
		reported = out.ConsumedCapacity
	case *dynamodb.DeleteItemInput:
		var failed *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			c.counts.WriteUnits += writeUnits(ItemSize(failed.Item))
			return
		}
		out, _ := result.(*dynamodb.DeleteItemOutput)
		if err != nil || out == nil {
			return
		}
		table = writeUnits(ItemSize(out.Attributes))
		index = c.indexWrites(out.Attributes, nil)
		c.counts.WriteUnits += table + index
		c.counts.IndexWriteUnits += index
		reported = out.ConsumedCapacity
	default:
		return
	}
	if reported != nil && reported.CapacityUnits != nil {
		c.counts.ReportedUnits += *reported.CapacityUnits
		c.counts.CheckedUnits += table
	}
}

// indexWrites is the write units the indexes consume when old (nil: none)
// becomes new (nil: deleted).
func (c *Counter) indexWrites(old, new map[string]ddbtypes.AttributeValue) float64 {
	var units float64
	add := func(ix Index, item map[string]ddbtypes.AttributeValue) {
		u := writeUnits(ItemSize(item))
		units += u
		pk, _ := scalar(item[ix.PK])
		c.counts.IndexPartitionUnits[ix.Name+" "+pk[1:]] += u // pk without its type letter
	}
	for _, ix := range c.indexes {
		oldKey, oldIn := indexKey(old, ix)
		newKey, newIn := indexKey(new, ix)
		switch {
		case !oldIn && !newIn:
		case !oldIn:
			add(ix, new)
		case !newIn:
			add(ix, old)
		case oldKey == newKey:
			add(ix, new)
		default:
			add(ix, old)
			add(ix, new)
		}
	}
	return units
}

// indexKey is the item's key in the index, and whether the item is in it
// (it has every key attribute).
func indexKey(item map[string]ddbtypes.AttributeValue, ix Index) (string, bool) {
	if item == nil {
		return "", false
	}
	pk, ok := scalar(item[ix.PK])
	if !ok {
		return "", false
	}
	key := pk
	if ix.SK != "" {
		sk, ok := scalar(item[ix.SK])
		if !ok {
			return "", false
		}
		key += "\x00" + sk
	}
	return key, true
}

func scalar(v ddbtypes.AttributeValue) (string, bool) {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return "S" + x.Value, true
	case *ddbtypes.AttributeValueMemberN:
		return "N" + x.Value, true
	case *ddbtypes.AttributeValueMemberB:
		return "B" + string(x.Value), true
	}
	return "", false
}

// readUnits is what reading size bytes in one request costs: 4 KB units,
// at least one, halved for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	u := float64(max(chunks(size, 4<<10), 1))
	if !consistent {
		u /= 2
	}
	return u
}

// writeUnits is what writing an item of size bytes costs: 1 KB units, at
// least one.
func writeUnits(size int) float64 { return float64(max(chunks(size, 1<<10), 1)) }

func chunks(n, size int) int { return int(math.Ceil(float64(n) / float64(size))) }
