package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/cxloop/cxloop/shared/core/store"
)

// Client is the part of *dynamodb.Client the Table uses.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	dynamodb.QueryAPIClient
}

var _ Client = (*dynamodb.Client)(nil)

// ErrInvalid means DynamoDB refused the request as malformed
// (ValidationException: a key too long, an item over 400 KB, a table
// without the expected indexes). Retrying the same request cannot succeed;
// it is never a store.ErrConflict.
var ErrInvalid = errors.New("dynamo: request rejected as invalid")

// Table is a store.Table on one DynamoDB table.
type Table struct {
	client Client
	name   string
}

var _ store.Table = (*Table)(nil)

// New returns the Table called name, reached through client.
func New(client Client, name string) *Table {
	return &Table{client: client, name: name}
}

// record is an item as stored: see the package documentation.
type record struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
	GSI3PK string `dynamodbav:"gsi3pk,omitempty"`
	GSI3SK string `dynamodbav:"gsi3sk,omitempty"`
	V      int64  `dynamodbav:"v"`
	TTL    int64  `dynamodbav:"ttl,omitempty"`
	Data   []byte `dynamodbav:"data,omitempty"`
}

func toRecord(it store.Item) record {
	return record{
		PK: it.PK, SK: it.SK,
		GSI1PK: it.GSI1.PK, GSI1SK: it.GSI1.SK,
		GSI2PK: it.GSI2.PK, GSI2SK: it.GSI2.SK,
		GSI3PK: it.GSI3.PK, GSI3SK: it.GSI3.SK,
		V:    it.Version,
		TTL:  it.ExpiresAt,
		Data: it.Data,
	}
}

func (r record) item() store.Item {
	return store.Item{
		Key:       store.Key{PK: r.PK, SK: r.SK},
		GSI1:      store.Key{PK: r.GSI1PK, SK: r.GSI1SK},
		GSI2:      store.Key{PK: r.GSI2PK, SK: r.GSI2SK},
		GSI3:      store.Key{PK: r.GSI3PK, SK: r.GSI3SK},
		Version:   r.V,
		ExpiresAt: r.TTL,
		Data:      r.Data,
	}
}

func decode(av map[string]types.AttributeValue) (store.Item, error) {
	var r record
	if err := attributevalue.UnmarshalMap(av, &r); err != nil {
		return store.Item{}, fmt.Errorf("decode item: %w", err)
	}
	return r.item(), nil
}

func keyAV(k store.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: k.PK},
		attrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// Get reads one item with a strongly consistent GetItem.
func (t *Table) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := checkKey("key", key); err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get %s/%s: %w", key.PK, key.SK, err)
	}
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.name),
		Key:            keyAV(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get %s/%s: %w", key.PK, key.SK, t.classify(err))
	}
	if len(out.Item) == 0 {
		return store.Item{}, fmt.Errorf("dynamo: get %s/%s: %w", key.PK, key.SK, store.ErrNotFound)
	}
	item, err := decode(out.Item)
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get %s/%s: %w", key.PK, key.SK, err)
	}
	return item, nil
}

// Put writes the whole item when cond holds and returns it with its new
// Version; a failed condition is a wrapped store.ErrConflict.
func (t *Table) Put(ctx context.Context, item store.Item, cond store.Cond) (store.Item, error) {
	if err := checkItem(item); err != nil {
		return store.Item{}, fmt.Errorf("dynamo: put %s/%s: %w", item.PK, item.SK, err)
	}
	var condition expression.ConditionBuilder
	if cond.Absent() {
		item.Version = 1
		condition = expression.AttributeNotExists(expression.Name(attrPK))
	} else {
		item.Version = cond.Version() + 1
		condition = expression.Name(attrV).Equal(expression.Value(cond.Version()))
	}
	expr, err := expression.NewBuilder().WithCondition(condition).Build()
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: put %s/%s: build condition: %w", item.PK, item.SK, err)
	}
	av, err := attributevalue.MarshalMap(toRecord(item))
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: put %s/%s: encode item: %w", item.PK, item.SK, err)
	}
	_, err = t.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(t.name),
		Item:                                av,
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return store.Item{}, fmt.Errorf("dynamo: put %s/%s: %s: %w: %w", item.PK, item.SK, conflictDetail(cond, failed.Item), store.ErrConflict, err)
	}
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: put %s/%s: %w", item.PK, item.SK, t.classify(err))
	}
	return item, nil
}

// conflictDetail says why the condition failed, from the stored item
// DynamoDB returned (ALL_OLD), without another read.
func conflictDetail(cond store.Cond, old map[string]types.AttributeValue) string {
	stored := "no item stored"
	if n, ok := old[attrV].(*types.AttributeValueMemberN); ok {
		stored = "stored version " + n.Value
	} else if len(old) > 0 {
		stored = "stored item has no version"
	}
	if cond.Absent() {
		return "key already taken (" + stored + ")"
	}
	return fmt.Sprintf("want version %d, %s", cond.Version(), stored)
}

// Delete removes the item; a missing item is not an error.
func (t *Table) Delete(ctx context.Context, key store.Key) error {
	if err := checkKey("key", key); err != nil {
		return fmt.Errorf("dynamo: delete %s/%s: %w", key.PK, key.SK, err)
	}
	_, err := t.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(t.name),
		Key:       keyAV(key),
	})
	if err != nil {
		return fmt.Errorf("dynamo: delete %s/%s: %w", key.PK, key.SK, t.classify(err))
	}
	return nil
}

// Query returns the matching items in sort key order, reading pages until
// q.Limit items or the end. Queries on the table are strongly consistent;
// index queries are eventually consistent (DynamoDB offers nothing else).
func (t *Table) Query(ctx context.Context, q store.Query) ([]store.Item, error) {
	items, err := t.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("dynamo: query %s %s: %w", indexLabel(q.Index), q.PK, err)
	}
	return items, nil
}

func (t *Table) query(ctx context.Context, q store.Query) ([]store.Item, error) {
	pkName, skName, err := keyNames(q.Index)
	if err != nil {
		return nil, err
	}
	switch {
	case q.PK == "":
		return nil, errors.New("invalid query: partition key is empty")
	case q.Limit < 0:
		return nil, fmt.Errorf("invalid query: limit %d", q.Limit)
	}
	out := []store.Item{}

	// One sort key condition is all DynamoDB allows (and filter expressions
	// may not name key attributes), so a prefix together with bounds
	// raises the lower bound to the prefix and checks the prefix here.
	lower, upper := q.From, q.To
	checkPrefix := q.Prefix != "" && (q.From != "" || q.To != "")
	if checkPrefix && q.Prefix > lower {
		lower = q.Prefix
	}
	if lower != "" && upper != "" && lower > upper {
		return out, nil // DynamoDB rejects BETWEEN with bounds out of order
	}
	keyCond := expression.Key(pkName).Equal(expression.Value(q.PK))
	sk := expression.Key(skName)
	switch {
	case q.Prefix != "" && !checkPrefix:
		keyCond = keyCond.And(sk.BeginsWith(q.Prefix))
	case lower != "" && upper != "":
		keyCond = keyCond.And(sk.Between(expression.Value(lower), expression.Value(upper)))
	case lower != "":
		keyCond = keyCond.And(sk.GreaterThanEqual(expression.Value(lower)))
	case upper != "":
		keyCond = keyCond.And(sk.LessThanEqual(expression.Value(upper)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return nil, fmt.Errorf("build key condition: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!q.Desc),
	}
	if q.Index == store.Primary {
		in.ConsistentRead = aws.Bool(true)
	} else {
		in.IndexName = aws.String(string(q.Index))
	}
	if q.Limit > 0 {
		in.Limit = aws.Int32(int32(min(q.Limit, math.MaxInt32)))
	}

	pages := dynamodb.NewQueryPaginator(t.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, t.classify(err)
		}
		for _, av := range page.Items {
			it, err := decode(av)
			if err != nil {
				return nil, err
			}
			if checkPrefix && !strings.HasPrefix(sortKey(it, q.Index), q.Prefix) {
				if !q.Desc {
					return out, nil // ascending from the prefix: past its range
				}
				continue // descending from To: not yet in its range
			}
			out = append(out, it)
			if q.Limit > 0 && len(out) >= q.Limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// classify marks the DynamoDB errors whose cause callers should see at
// once, keeping the SDK error in the chain for errors.As. Throttling
// (ProvisionedThroughputExceededException, ThrottlingException) never gets
// here unless the SDK's retryer has given up.
func (t *Table) classify(err error) error {
	var (
		missing *types.ResourceNotFoundException
		api     smithy.APIError
	)
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("table %s (or its index) does not exist: %w", t.name, err)
	case errors.As(err, &api) && api.ErrorCode() == "ValidationException":
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	default:
		return err
	}
}

func keyNames(ix store.Index) (pk, sk string, err error) {
	if ix == store.Primary {
		return attrPK, attrSK, nil
	}
	for _, x := range indexes {
		if x.index == ix {
			return x.pk, x.sk, nil
		}
	}
	return "", "", fmt.Errorf("unknown index %q", string(ix))
}

func sortKey(it store.Item, ix store.Index) string {
	switch ix {
	case store.Due:
		return it.GSI1.SK
	case store.Customer:
		return it.GSI2.SK
	case store.Listing:
		return it.GSI3.SK
	default:
		return it.SK
	}
}

func indexLabel(ix store.Index) string {
	if ix == store.Primary {
		return "table"
	}
	return string(ix)
}

// DynamoDB's key limits, checked before a call so a bad key fails the same
// way here as in the embedded table.
const (
	maxPKLen = 2048
	maxSKLen = 1024
)

func checkItem(item store.Item) error {
	if err := checkKey("key", item.Key); err != nil {
		return err
	}
	for i, ik := range [3]store.Key{item.GSI1, item.GSI2, item.GSI3} {
		if ik.IsZero() {
			continue
		}
		if err := checkKey(string(indexes[i].index)+" key", ik); err != nil {
			return err
		}
	}
	return nil
}

func checkKey(what string, k store.Key) error {
	switch {
	case k.PK == "" || k.SK == "":
		return fmt.Errorf("invalid %s %q/%q: partition and sort key must both be set", what, k.PK, k.SK)
	case !utf8.ValidString(k.PK) || !utf8.ValidString(k.SK):
		return fmt.Errorf("invalid %s %q/%q: not valid UTF-8", what, k.PK, k.SK)
	case len(k.PK) > maxPKLen || len(k.SK) > maxSKLen:
		return fmt.Errorf("invalid %s: partition key %d bytes (max %d), sort key %d bytes (max %d)", what, len(k.PK), maxPKLen, len(k.SK), maxSKLen)
	}
	return nil
}
